package neuroscan.serve;

import com.sun.net.httpserver.HttpServer;
import neuroscan.NeuroscanException;
import neuroscan.report.RunReports;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code neuroscan serve}: the JDK's HTTP server ({@code com.sun.net.httpserver}) on one address, each
 * request on its own virtual thread, everything served by {@link Routes} from a finished run held in
 * memory. {@link #close} stops accepting, lets requests in progress finish (up to a second) and ends the
 * threads; it does not close the run, which belongs to the caller.
 */
public final class Server implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService threads;
    private final Routes routes;
    private final Content content;

    private Server(HttpServer http, ExecutorService threads, Routes routes, Content content) {
        this.http = http;
        this.threads = threads;
        this.routes = routes;
        this.content = content;
    }

    /**
     * Listens on {@code host:port} (port 0: any free one) and starts serving.
     *
     * @throws NeuroscanException one line, when the address cannot be had (the port is in use, the host is not ours)
     */
    public static Server start(RunReports reports, String host, int port, Limits limits, PrintWriter log) {
        if (limits.computeSlots() > reports.workers()) {
            throw new IllegalArgumentException(limits.computeSlots() + " compute slots but only " + reports.workers() + " engines");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (IOException e) {
            throw new NeuroscanException("--host " + host + ": not an address of this machine (" + e.getMessage() + ")");
        }
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(address, port), 64);
        } catch (BindException e) {
            throw new NeuroscanException("cannot listen on " + hostPort(host, port) + ": " + (e.getMessage() != null
                    && e.getMessage().contains("in use") ? "the port is in use (pass another --port, or --port 0 for any free one)" : e.getMessage()));
        } catch (IOException e) {
            throw new NeuroscanException("cannot listen on " + hostPort(host, port) + ": " + e.getMessage());
        }
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        Content content = new Content(reports, limits, threads);
        Routes routes = new Routes(content, new HostCheck(address), log);
        http.createContext("/", routes);
        http.setExecutor(threads);
        http.start();
        return new Server(http, threads, routes, content);
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The port listened on (the one picked, for port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The server's base URL, e.g. {@code http://127.0.0.1:8424/}. */
    public URI url() {
        InetSocketAddress a = http.getAddress();
        String h = a.getAddress().getHostAddress();
        return URI.create("http://" + hostPort(h, a.getPort()) + "/");
    }

    /** Requests answered so far. */
    public long served() {
        return routes.served.get();
    }

    /** Requests waiting for a forward pass now. */
    int waiting() {
        return content.waiting();
    }

    @Override
    public void close() {
        http.stop(1);
        threads.shutdownNow();
    }
}
