#!/usr/bin/env python3
"""Generate the tokenizer test fixtures from Hugging Face `tokenizers` (the reference implementation).

Run from the repository root with the project venv (tests never run Python; they read what this writes):

    /work/venv/bin/python tools/tokenizer/make-fixtures.py [--shared ../shared/data]

Writes into test/fixtures/tokenizer/:
  gpt-neox-20b-reference.json   manifest: generator version, per-text sha256 + id count + ids file
  gpt-neox-20b-<name>.ids.gz    the ids of a whole text file, gzip of little-endian uint32
  gpt-neox-20b-edge-cases.json  edge cases (unicode whitespace, controls, NUL, combining marks next to
                                special tokens, seeded random unicode, and long runs of one character
                                whose ids are stored compactly as `cycle` repeated `nCycles` times, then `tail`)
  tiny-bpe/tokenizer.json       a small byte-level BPE trained here (merges saved as pairs, a
                                TemplateProcessing post-processor, lstrip / single_word added tokens)
  tiny-bpe/cases.json           its reference ids, with and without special tokens
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import struct
from pathlib import Path

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test" / "fixtures" / "tokenizer"

WHOLE_FILES = ["tinystories-valid-head.txt", "tinyshakespeare.txt"]

EDGE_TEXTS = [
    "a\x85b", "a \x85b", "a\x85 b", "a \ufeff b", "a\ufeffb", "\ufeff",
    "\x00", "a\x00b\x00", "\x00\x00 \x00", "\x01\x02\x1b\x1f\x7f", " \x1c",
    "\u3000x", "x\u2028y\u2029z", "a\u180eb", "a\u200bb\u200dc", "\u00a0\u00a0a \u00a0 b",
    "\t \n \r\n  \t", "  \n", " \n ", "a\n\n b", "x\f\vy", "\r\r\r\n", "\t\t\tx",
    " " * 25 + "a", " " * 48 + "a", " " * 49 + "a", "a" + " " * 47, " " * 3, " ",
    "A\u0300", "e\u0301<|padding|>e\u0301", "<|endoftext|>\u0301", "\u0301<|endoftext|>",
    "<|endoftext|><|endoftext|>", "<|endoftext|> <|padding|>", "<|endoftext", "<|endoftext|>|>",
    "\u1100\u1161\u11a8", "한국어", "ﬁ ﬂ", "𠀀𠀁", "١٢٣ ٤", "Ⅻ ²³ ½", "x²",
    "'S 'T 'Re 'VE", "'s's's", "don't'", "x'", "''", "'", " 's", "I 'll",
    "👩\u200d👩\u200d👧\u200d👦", "🇺🇸🇯🇵", "\ufffd", "\ufffd\ufffd x",
    "1,234.56e-7", "0x1F_FF", "a1b2c3", "ab12cd", "٣a", "𝟘𝟙𝟚",
    "http://example.com/a?b=c&d=e#f", "C:\\path\\to\\file.txt", "<html><body>Hi</body></html>",
    "$$$ %%% ^^^ ___ ~~~", "—–-‐", "«quoted» „quoted“", "¿Qué? ¡Sí!",
]

REPEATS = [  # (unit, count): long runs; stored run-length encoded
    ("a", 1_000_000), (" ", 100_003), ("\n", 100_000), ("7", 100_000), ("é", 100_000),
    ("😀", 30_000), ("ab", 50_000), (" a", 50_000), ("!", 100_000), ("\x00", 50_000),
]

FUZZ_POOLS = {
    "ascii": [chr(c) for c in range(32, 127)] + ["\n", "\t", "\r\n", "  ", "   "],
    "mixed": [chr(c) for c in range(32, 127)]
    + list("äöüßéèêçñÅøæœ™©®°±µ¶·¿¡«»‘’“”…–—")
    + list("αβγδεζηθλμπσωΑΒΓΔ") + list("абвгдежзийклмнопрстуфхцчшщыэюя")
    + list("日本語中文한국어テキストかなカナ") + list("٠١٢٣٤٥٦٧٨٩") + list("¹²³½¼")
    + ["\u0301", "\u0300", "\u0308", "\u200b", "\u200d", "\ufeff", "\x85", "\xa0", "\u3000", "\u2028"]
    + ["\x00", "\x01", "\x7f", "\n", "\t", " ", " ", " ", "'s", "'ll", "'"]
    + ["😀", "👍🏽", "🇩🇪", "𠀀", "<|endoftext|>", "<|padding|>"],
}


def as_cycle(ids: list[int]) -> dict[str, object]:
    """ids == cycle * nCycles + tail, with the shortest cycle that leaves a short tail."""
    for period in range(1, 65):
        cycle = ids[:period]
        n = 0
        while ids[n * period:(n + 1) * period] == cycle and (n + 1) * period <= len(ids):
            n += 1
        tail = ids[n * period:]
        if len(tail) <= 64:
            return {"cycle": cycle, "nCycles": n, "tail": tail}
    raise ValueError("ids of a repeated text have no short cycle")


def write_json(path: Path, value: dict[str, object]) -> None:
    """Top-level keys one per line, list items (cases) one per line: small diffs, small files."""
    lines = []
    for key, item in value.items():
        if isinstance(item, list):
            body = ",\n".join("  " + json.dumps(x, ensure_ascii=True, separators=(",", ":")) for x in item)
            lines.append(f"{json.dumps(key)}: [\n{body}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(item, ensure_ascii=True)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{\n " + ",\n ".join(lines) + "\n}\n", encoding="utf-8")


def make_neox(shared: Path) -> None:
    tok = Tokenizer.from_file(str(shared / "gpt-neox-20b-tokenizer.json"))
    manifest = {
        "generator": f"huggingface tokenizers {tokenizers.__version__}, "
        "Tokenizer.encode(text, add_special_tokens=False) on the whole file decoded as UTF-8",
        "tokenizer": "gpt-neox-20b-tokenizer.json",
        "idsFormat": "gzip of little-endian uint32",
        "texts": [],
    }
    for name in WHOLE_FILES:
        raw = (shared / name).read_bytes()
        ids = tok.encode(raw.decode("utf-8"), add_special_tokens=False).ids
        ids_name = f"gpt-neox-20b-{name.removesuffix('.txt')}.ids.gz"
        blob = struct.pack(f"<{len(ids)}I", *ids)
        (OUT / ids_name).write_bytes(gzip.compress(blob, compresslevel=9, mtime=0))
        manifest["texts"].append({
            "text": name, "sha256": hashlib.sha256(raw).hexdigest(), "nBytes": len(raw),
            "nIds": len(ids), "ids": ids_name,
        })
        print(f"{name}: {len(ids)} ids")
    write_json(OUT / "gpt-neox-20b-reference.json", manifest)

    rng = random.Random(20240501)
    fuzz = []
    for pool_name, pool in FUZZ_POOLS.items():
        for k in range(3):
            fuzz.append("".join(rng.choice(pool) for _ in range(3000)))
    cases = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in EDGE_TEXTS + fuzz]
    repeats = []
    for unit, count in REPEATS:
        ids = tok.encode(unit * count, add_special_tokens=False).ids
        repeats.append({"unit": unit, "count": count, "nIds": len(ids), **as_cycle(ids)})
    write_json(OUT / "gpt-neox-20b-edge-cases.json", {
        "generator": f"huggingface tokenizers {tokenizers.__version__}, add_special_tokens=False; "
        "fuzz texts from random.Random(20240501)",
        "cases": cases, "repeats": repeats,
    })


def make_tiny(shared: Path) -> None:
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800, min_frequency=2, show_progress=False,
        special_tokens=["<|endoftext|>", "<|bos|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train([str(shared / "tinystories-train-head.txt")], trainer)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    tok.add_tokens([AddedToken("[WORD]", single_word=True, special=False, normalized=False),
                    AddedToken("\n\n", special=False, normalized=True)])
    bos = tok.token_to_id("<|bos|>")
    eos = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|bos|> $A <|endoftext|>", pair="<|bos|> $A <|endoftext|> $B:1 <|endoftext|>:1",
        special_tokens=[("<|bos|>", bos), ("<|endoftext|>", eos)],
    )
    out = OUT / "tiny-bpe"
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    merges = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["model"]["merges"]
    assert isinstance(merges[0], list), "expected merges saved as pairs"

    story = (shared / "tinystories-valid-head.txt").read_text(encoding="utf-8")[:20000]
    texts = EDGE_TEXTS + [
        "Once upon a time <mask> there was [WORD] and x[WORD] and [WORD]y.",
        "two\n\nparagraphs\n\n\nthree", "   <mask>  <mask>", "<|bos|>hi<|endoftext|>", story,
    ]
    cases = []
    for t in texts:
        with_special = tok.encode(t, add_special_tokens=True).ids
        cases.append({
            "text": t,
            "ids": tok.encode(t, add_special_tokens=False).ids,
            "idsWithSpecial": with_special,
            "decoded": tok.decode(with_special, skip_special_tokens=False),
            "decodedSkipSpecial": tok.decode(with_special, skip_special_tokens=True),
        })
    write_json(out / "cases.json", {
        "generator": f"huggingface tokenizers {tokenizers.__version__}; tools/tokenizer/make-fixtures.py",
        "vocabSize": tok.get_vocab_size(with_added_tokens=True),
        "cases": cases,
    })
    print(f"tiny-bpe: vocab {tok.get_vocab_size(with_added_tokens=True)}, {len(cases)} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    make_neox(args.shared)
    make_tiny(args.shared)


if __name__ == "__main__":
    main()
