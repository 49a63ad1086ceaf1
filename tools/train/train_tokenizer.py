"""Train the byte-level BPE tokenizer of the demo models on the TinyStories train files; check mamba-ts.

    /work/venv/bin/python tools/train/train_tokenizer.py --out models/tokenizer.json

GPT-NeoX layout: NFC normalizer, ByteLevel pre-tokenizer (add_prefix_space false, GPT-2 regex), ByteLevel
decoder, BPE without unk; `<|endoftext|>` is id 0 and the only special token (bos = eos = pad). Unlike NeoX
the post-processor adds BOS (`<|endoftext|> $A`), because every training story starts with it (common.py).
Deterministic: same files + same tokenizers version → byte-identical tokenizer.json (sha256 printed).

After training it checks that the TypeScript tokenizer gives the same ids as HF (`mamba-ts tokenize
--tokenizer FILE TEXT --json`, with and without --no-special) on edge cases and on paragraphs of the train and
valid text; pass --no-check to skip (needs `npm run build` first).
"""
import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import EOT, REPO, TRAIN_FILES, VALID_FILE, read_text, stories  # noqa: E402

CHECK_TEXTS = [
    'Once upon a time',
    'Once upon a time, there was a little girl named Lily.\n\nShe loved to play outside.',
    'Hello,  world!   Three   spaces\tand a tab\r\nCRLF',
    "It's a dog's life, isn't it? We'll see. I'd go. They're 12345 years old.",
    'Caf\u00e9 na\u0131ve e\u0301 \u00fcber \u65e5\u672c\u8a9e \U0001F600 \u00e2\u20ac\u2122',
    f'The end.\n{EOT}Once upon a time{EOT}',
    '   leading spaces and trailing   ',
    '\n\n\nnewlines\n\n',
]


def build(vocab_size):
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False, special_tokens=[EOT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    # One story per training "sentence" so merges never span a story boundary.
    texts = [s for name in TRAIN_FILES for s in stories(read_text(name))]
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    assert tok.token_to_id(EOT) == 0, 'the special token must be id 0'
    tok.post_processor = processors.TemplateProcessing(single=f'{EOT} $A', special_tokens=[(EOT, 0)])
    return tok


def check_against_mamba_ts(path, tok):
    """mamba-ts tokenize must give HF's ids (with and without the BOS the post-processor adds)."""
    valid, train = read_text(VALID_FILE), read_text(TRAIN_FILES[0])
    texts = CHECK_TEXTS + [valid[:3000], valid[100_000:104_000], train[:3000], valid[-2000:]]
    cli = REPO / 'dist' / 'src' / 'cli' / 'main.js'
    n_ids = 0
    for text in texts:
        for special in (True, False):
            cmd = ['node', str(cli), 'tokenize', '--tokenizer', str(path), text, '--json']
            if not special:
                cmd.append('--no-special')
            out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            ts_ids = out['ids'] if isinstance(out, dict) else [t['id'] for t in out]
            hf_ids = tok.encode(text, add_special_tokens=special).ids
            if ts_ids != hf_ids:
                first = next((i for i, (a, b) in enumerate(zip(ts_ids, hf_ids)) if a != b), min(len(ts_ids), len(hf_ids)))
                raise SystemExit(f'MISMATCH (special={special}) at token {first} for {text[:60]!r}: '
                                 f'mamba-ts {ts_ids[first:first + 8]} vs HF {hf_ids[first:first + 8]}')
            n_ids += len(hf_ids)
    print(f'mamba-ts tokenize == HF on {len(texts)} texts x 2 ({n_ids} ids)')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(REPO / 'models' / 'tokenizer.json'))
    ap.add_argument('--vocab-size', type=int, default=4096)
    ap.add_argument('--no-check', action='store_true', help='skip the mamba-ts comparison')
    args = ap.parse_args()
    tok = build(args.vocab_size)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(out), pretty=False)
    data = out.read_bytes()
    print(f'{out}: vocab {tok.get_vocab_size()}, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}')
    for name in TRAIN_FILES + [VALID_FILE]:
        text = read_text(name)
        n = len(tok.encode(text, add_special_tokens=False).ids)
        print(f'  {name}: {len(text.encode())} bytes -> {n} tokens ({len(text.encode()) / n:.2f} bytes/token)')
    if not args.no_check:
        check_against_mamba_ts(out, Tokenizer.from_file(str(out)))


if __name__ == '__main__':
    main()
