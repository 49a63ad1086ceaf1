"""Shared helpers for tools/train: data files, story splitting, sha256.

Data format (shared/data/SOURCES.md): in the TinyStories *train* files a single "\n" ends a story and a blank
line ("\n\n") separates paragraphs. SOURCES.md turns story boundaries into separators with
    re.sub(r'(?<!\n)\n(?!\n)', '\n<|endoftext|>\n', text)
We use the same boundaries, but put the marker in FRONT of every story and drop the newline after it:
    <|endoftext|>story 1\n<|endoftext|>story 2\n ...
so a prompt encoded as BOS + text (the tokenizer's post-processor adds <|endoftext|>, id 0) looks exactly like
the start of a training story, and a finished story ends "\n" then <|endoftext|> (= EOS, generation stops).
The valid file separates stories by "\n\n" like paragraphs (no boundaries), so it is scored as one stream:
[0] + encode(text).
"""
import hashlib
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get('MAMBA_TS_SHARED_DATA', REPO.parent / 'shared' / 'data'))

EOT = '<|endoftext|>'
EOT_ID = 0

TRAIN_FILES = [
    'tinystories-train-head.txt',
    'tinystories-train-01.txt',
    'tinystories-train-02.txt',
    'tinystories-train-03.txt',
]
VALID_FILE = 'tinystories-valid-head.txt'

STORY_BOUNDARY = re.compile(r'(?<!\n)\n(?!\n)')


def read_text(name):
    return (SHARED_DATA / name).read_text(encoding='utf-8')


def sha256_file(name):
    return hashlib.sha256((SHARED_DATA / name).read_bytes()).hexdigest()


def stories(text):
    """The stories of a TinyStories train file, each with its trailing "\n" (single-newline boundaries)."""
    return [s + '\n' for s in STORY_BOUNDARY.split(text) if s.strip()]


def file_table(names):
    return [{'file': n, 'bytes': (SHARED_DATA / n).stat().st_size, 'sha256': sha256_file(n)} for n in names]


# glibc returns every large freed tensor to the OS and page-faults it back in on the next allocation, which
# more than halves the speed of the scan; keep freed memory in the heap instead. OpenMP threads that spin while
# waiting make every small op ~40x slower when other processes share the 2 cores: wait passively.
PROCESS_ENV = {'OMP_WAIT_POLICY': 'PASSIVE', 'MALLOC_MMAP_MAX_': '0', 'MALLOC_TRIM_THRESHOLD_': str(1 << 40),
               'MALLOC_TOP_PAD_': str(1 << 30)}


def reexec_with_process_env():
    """Call before importing torch: re-executes the script with PROCESS_ENV (read at process start)."""
    if any(os.environ.get(k) != v for k, v in PROCESS_ENV.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **PROCESS_ENV})
