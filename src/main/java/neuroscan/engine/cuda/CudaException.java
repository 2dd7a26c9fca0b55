package neuroscan.engine.cuda;

import neuroscan.NeuroscanException;

/** A CUDA driver call that returned an error: the call, the CUresult and its name (CUDA_ERROR_...). */
public final class CudaException extends NeuroscanException {
    private final int code;

    CudaException(String call, int code, String name) {
        super(call + " failed: " + name + " (" + code + ")");
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** CUDA_ERROR_OUT_OF_MEMORY: the caller may retry with smaller buffers. */
    public boolean isOutOfMemory() {
        return code == CU.ERROR_OUT_OF_MEMORY;
    }

    /** The driver cannot use the module image (PTX too new for it, or not for this GPU): try NVRTC. */
    public boolean isImageProblem() {
        return code == CU.ERROR_UNSUPPORTED_PTX_VERSION || code == CU.ERROR_INVALID_PTX
                || code == CU.ERROR_NO_BINARY_FOR_GPU || code == CU.ERROR_INVALID_IMAGE;
    }
}
