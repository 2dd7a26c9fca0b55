#!/usr/bin/env python3
"""A synthetic C4-like corpus for the scan benchmark: 10,000 documents as JSON Lines whose lengths under
the fixture tokenizer (src/test/fixtures/data/tokenizer) average ~490 tokens, log-normal, some past
n_ctx = 1024. Usage: python3 bench/tools/make_corpus.py > /tmp/bench-corpus.jsonl"""
import json, math, random, sys

random.seed(7)
WORDS = ("the of and to in a is that for it as was with be by on not he I this are or his from at which but "
         "have an they you were her she there been one all we their has would when if so no will said more out up "
         "what about into than them can only other time new some could these two may first then do any like my now "
         "over such our man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people how too little state good very make world still own "
         "see men work long get here between both life being under never day same another know while last might us "
         "great old year off come since against go came right used take three THE NEWS BREAKING USA FREE SALE NOW").split()
n_docs = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
for _ in range(n_docs):
    n = int(min(2000, max(3, random.lognormvariate(math.log(95), 0.85))))
    sys.stdout.write(json.dumps({"text": " ".join(random.choice(WORDS) for _ in range(n))}) + "\n")
