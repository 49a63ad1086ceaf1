"""Train a small Mamba-1 LM on the TinyStories train files (CPU, plain PyTorch), save it in HF format.

    /work/venv/bin/python tools/train/train_mamba.py --name stories-m --d-model 256 --n-layer 6 ...

Writes models/NAME/hf/{config.json, model.safetensors, tokenizer.json, tokenizer_config.json} (the checkpoint
with the best loss on a held-out slice of the TRAIN stories, saved at every evaluation, so an interrupted run
keeps its best model), models/NAME/log.jsonl (one line per logged step / evaluation), models/NAME/summary.json
and docs/training-NAME.png. tinystories-valid-head.txt is never used for selection: it is scored on a fixed
prefix during training (for the curve only) and in full at the end.

The model is initialised by transformers' own MambaForCausalLM init (seeded), or with --init-from DIR from an HF
checkpoint's model.safetensors (fine-tuning), trained with mamba_torch.MambaLM (same parameter names), and at the
end the saved checkpoint is reloaded with transformers.MambaForCausalLM.from_pretrained and its logits compared
with ours (assert). transformers has no ReLU gate: for --activation relu the check compares our chunked scan with
the transformers-style reference loop of mamba_torch on the reloaded checkpoint instead.

--ternary: BitNet b1.58-style quantization-aware training of in_proj, x_proj and out_proj of every block (absmean,
per tensor, straight-through estimator; activations stay F32). The saved checkpoint holds the ternarized weights
W~ * gamma, exactly what the forward computed with, so it is an ordinary Mamba checkpoint (config.json records
"ternary": "absmean").
Deterministic: fixed seeds, fixed thread count, the same batches in the same order.
"""
import argparse
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (EOT_ID, REPO, TRAIN_FILES, VALID_FILE, file_table, read_text,  # noqa: E402
                    reexec_with_process_env, stories)

if __name__ == '__main__':
    reexec_with_process_env()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mamba_torch import MambaLM  # noqa: E402


def hf_config(args, vocab_size):
    from transformers import MambaConfig
    cfg = MambaConfig(
        vocab_size=vocab_size, hidden_size=args.d_model, state_size=args.d_state, num_hidden_layers=args.n_layer,
        expand=args.expand, conv_kernel=args.d_conv, use_bias=False, use_conv_bias=True, hidden_act='silu',
        time_step_rank='auto', residual_in_fp32=True, layer_norm_epsilon=1e-5, tie_word_embeddings=True,
        bos_token_id=EOT_ID, eos_token_id=EOT_ID, pad_token_id=EOT_ID, use_cache=True)
    if args.activation != 'silu':
        cfg.gate_activation = args.activation  # not read by transformers: y * act(z) uses hidden_act there
    if args.ternary:
        cfg.ternary = args.ternary  # informational: the saved in_proj/x_proj/out_proj weights are W~ * gamma
    return cfg


def load_data(tok, n_holdout_stories, seed):
    """Train/holdout token streams (each story = [EOT] + ids(story + "\n")), and the valid stream."""
    all_stories = [s for name in TRAIN_FILES for s in stories(read_text(name))]
    random.Random(seed).shuffle(all_stories)
    def stream(ss):
        out = []
        for enc in tok.encode_batch(ss, add_special_tokens=True):  # post-processor adds the leading EOT
            out.extend(enc.ids)
        return torch.tensor(out, dtype=torch.long)
    train = stream(all_stories[n_holdout_stories:])
    holdout = stream(all_stories[:n_holdout_stories])
    valid = torch.tensor(tok.encode(read_text(VALID_FILE), add_special_tokens=True).ids, dtype=torch.long)
    return train, holdout, valid, len(all_stories)


@torch.no_grad()
def evaluate(model, tokens, ctx, batch, max_tokens=None):
    """Mean NLL (nats/token) over non-overlapping windows of ctx+1 tokens (ctx predictions each, every window
    starting from the zero state); a last partial window is scored too."""
    model.eval()
    if max_tokens:
        tokens = tokens[:max_tokens + 1]
    starts = list(range(0, len(tokens) - 1, ctx))
    total, count = 0.0, 0
    for i in range(0, len(starts), batch):
        group = [tokens[s:s + ctx + 1] for s in starts[i:i + batch]]
        n = min(len(g) for g in group)
        full = [g for g in group if len(g) == n]
        for g in (full, [g for g in group if len(g) != n]):
            if not g:
                continue
            w = torch.stack([x[:min(len(y) for y in g)] for x in g])
            logits = model(w[:, :-1])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1), reduction='sum').item()
            count += w[:, 1:].numel()
    model.train()
    return total / count, count


def save_hf(model, cfg, out_dir, tokenizer_path, ternary=False):
    from transformers import MambaForCausalLM
    tmp = out_dir.with_name(out_dir.name + '.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    hf = MambaForCausalLM(cfg)
    sd = model.ternary_state_dict() if ternary else model.state_dict()
    missing, unexpected = hf.load_state_dict(sd, strict=False)
    assert not unexpected and set(missing) <= {'lm_head.weight'}, (missing, unexpected)
    hf.save_pretrained(tmp, safe_serialization=True)
    shutil.copy(tokenizer_path, tmp / 'tokenizer.json')
    (tmp / 'tokenizer_config.json').write_text(json.dumps({
        'tokenizer_class': 'PreTrainedTokenizerFast', 'bos_token': '<|endoftext|>', 'eos_token': '<|endoftext|>',
        'unk_token': '<|endoftext|>', 'pad_token': '<|endoftext|>', 'add_bos_token': True,
        'model_max_length': 1_000_000}, indent=2) + '\n')
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)


def verify_with_transformers(model, hf_dir, ids):
    """transformers' MambaForCausalLM on the saved checkpoint must give our logits."""
    from transformers import MambaForCausalLM
    hf = MambaForCausalLM.from_pretrained(hf_dir).eval()
    model.eval()
    with torch.no_grad():
        ours = model(ids)
        theirs = hf(ids).logits
    model.train()
    diff = (ours - theirs).abs().max().item()
    scale = theirs.abs().max().item()
    print(f'transformers vs ours on {ids.numel()} valid tokens: max |logit diff| {diff:.2e} (max |logit| {scale:.1f})')
    assert diff < 1e-3 * max(1.0, scale), 'logits differ from transformers'
    return diff


def verify_reference_loop(model, ids):
    """Our chunked SelectiveScan = the transformers-style reference loop (selective_scan_ref), same weights."""
    model.eval()
    with torch.no_grad():
        ours = model(ids)
        model.use_reference_scan(True)
        ref = model(ids)
        model.use_reference_scan(False)
    model.train()
    diff = (ours - ref).abs().max().item()
    print(f'reference loop vs ours on {ids.numel()} valid tokens: max |logit diff| {diff:.2e} (transformers check '
          'skipped: no ReLU gate there)')
    assert diff < 1e-3 * max(1.0, ref.abs().max().item()), 'logits differ from the reference loop'
    return diff


def ternary_stats(sd, n_layer):
    """Per quantized tensor of a ternary checkpoint: gamma and the fraction of zeros."""
    from mamba_torch import TERNARY_PROJECTIONS
    rows = []
    for i in range(n_layer):
        for name in TERNARY_PROJECTIONS:
            w = sd[f'backbone.layers.{i}.mixer.{name}.weight']
            vals = torch.unique(w)
            assert len(vals) <= 3, (i, name, vals)
            rows.append({'tensor': f'{i}.{name}', 'gamma': w.abs().max().item(), 'zero_frac': (w == 0).float().mean().item()})
    return rows


def plot(log_path, png_path, title):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    tr = [(r['step'], r['train_loss']) for r in rows if 'train_loss' in r]
    ev = [r for r in rows if 'holdout_loss' in r]
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ax.plot([s for s, _ in tr], [v for _, v in tr], lw=0.8, alpha=0.7, label='train (batch mean)')
    ax.plot([r['step'] for r in ev], [r['holdout_loss'] for r in ev], 'o-', ms=3, label='held-out train stories')
    ax.plot([r['step'] for r in ev], [r['valid_loss'] for r in ev], 's-', ms=3, label='tinystories-valid-head (prefix)')
    ax.set_xlabel('step')
    ax.set_ylabel('loss (nats/token)')
    ax.set_ylim(top=min(6.0, max(v for _, v in tr)), bottom=min([r['holdout_loss'] for r in ev] + [v for _, v in tr]) - 0.1)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--name', required=True)
    ap.add_argument('--tokenizer', default=str(REPO / 'models' / 'tokenizer.json'))
    ap.add_argument('--d-model', type=int, default=256)
    ap.add_argument('--n-layer', type=int, default=6)
    ap.add_argument('--d-state', type=int, default=16)
    ap.add_argument('--d-conv', type=int, default=4)
    ap.add_argument('--expand', type=int, default=2)
    ap.add_argument('--activation', choices=['silu', 'relu'], default='silu', help='gate: y * act(z)')
    ap.add_argument('--seq-len', type=int, default=256)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--steps', type=int, default=1000, help='total optimizer steps (sets the cosine schedule)')
    ap.add_argument('--time-limit-min', type=float, default=0, help='stop early after this many minutes (0: none)')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--min-lr-frac', type=float, default=0.1)
    ap.add_argument('--warmup', type=int, default=50)
    ap.add_argument('--weight-decay', type=float, default=0.1)
    ap.add_argument('--dropout', type=float, default=0.0, help='on the residual stream after each block (training only)')
    ap.add_argument('--eval-every', type=int, default=100)
    ap.add_argument('--eval-tokens', type=int, default=32768, help='valid-head prefix scored during training')
    ap.add_argument('--holdout-stories', type=int, default=150)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--out-root', default=str(REPO / 'models'))
    ap.add_argument('--init-from', default=None, metavar='DIR',
                    help="fine-tune: load this HF checkpoint dir's model.safetensors before training (same shapes)")
    ap.add_argument('--ternary', action='store_const', const='absmean', default=None,
                    help='BitNet b1.58 absmean ternary QAT of in_proj, x_proj, out_proj (STE); saves W~ * gamma')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(args.tokenizer)
    vocab = tok.get_vocab_size()
    vocab_padded = (vocab + 7) // 8 * 8
    train, holdout, valid, n_stories = load_data(tok, args.holdout_stories, args.seed)
    print(f'tokens: train {len(train)}, holdout {len(holdout)} ({args.holdout_stories} of {n_stories} stories), valid {len(valid)}')

    cfg = hf_config(args, vocab_padded)
    from transformers import MambaForCausalLM
    torch.manual_seed(args.seed)
    init = MambaForCausalLM(cfg).state_dict()  # transformers' (= mamba_ssm's) initialisation
    mcfg = cfg.to_dict()
    mcfg['gate_activation'] = args.activation
    model = MambaLM(mcfg)
    model.load_state_dict(init, strict=True)
    if args.init_from:
        from safetensors.torch import load_file
        src = load_file(str(Path(args.init_from) / 'model.safetensors'))
        missing, unexpected = model.load_state_dict(src, strict=False)
        assert not unexpected and set(missing) <= {'lm_head.weight'}, (missing, unexpected)
        print(f'initialised from {args.init_from}/model.safetensors ({len(src)} tensors)')
    if args.ternary:
        model.set_ternary(True)
    model.dropout = args.dropout
    n_params = sum(p.numel() for p in model.parameters())
    print(f'{args.name}: d_model {args.d_model}, n_layer {args.n_layer}, d_inner {cfg.intermediate_size}, '
          f'dt_rank {cfg.time_step_rank}, vocab {vocab_padded}: {n_params} parameters')

    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or n.endswith(('A_log', 'D')) or 'embeddings' in n]
    decay = [p for n, p in model.named_parameters() if not (p.dim() < 2 or n.endswith(('A_log', 'D')) or 'embeddings' in n)]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.weight_decay},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        p = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return args.lr * (args.min_lr_frac + (1 - args.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * p)))

    out = Path(args.out_root) / args.name
    out.mkdir(parents=True, exist_ok=True)
    hf_dir = out / 'hf'
    log_path = out / 'log.jsonl'
    log = log_path.open('w')
    png = REPO / 'docs' / f'training-{args.name}.png'
    gen = torch.Generator().manual_seed(args.seed)
    best = (float('inf'), -1)
    t0 = time.time()
    tokens_per_step = args.batch * args.seq_len
    smooth = None
    step = 0
    for step in range(args.steps + 1):
        last = step == args.steps or (args.time_limit_min and time.time() - t0 > args.time_limit_min * 60)
        if step % args.eval_every == 0 or last:
            te = time.time()
            h_loss, _ = evaluate(model, holdout, args.seq_len, 32)
            v_loss, _ = evaluate(model, valid, args.seq_len, 32, args.eval_tokens)
            row = {'step': step, 'tokens': step * tokens_per_step, 'epochs': step * tokens_per_step / len(train),
                   'holdout_loss': h_loss, 'valid_loss': v_loss, 'time_s': round(time.time() - t0, 1)}
            if h_loss < best[0]:
                best = (h_loss, step)
                save_hf(model, cfg, hf_dir, args.tokenizer, ternary=bool(args.ternary))
                row['saved'] = True
            log.write(json.dumps(row) + '\n')
            log.flush()
            print(f'step {step}: holdout {h_loss:.4f} valid(prefix) {v_loss:.4f} best {best[0]:.4f}@{best[1]} '
                  f'[{time.time() - te:.0f}s eval, {time.time() - t0:.0f}s total]', flush=True)
            if step > 0:
                plot(log_path, png, f'{args.name}: d_model {args.d_model}, {args.n_layer} layers, {n_params / 1e6:.2f}M params')
        if last:
            break
        starts = torch.randint(0, len(train) - args.seq_len - 1, (args.batch,), generator=gen)
        w = torch.stack([train[s:s + args.seq_len + 1] for s in starts.tolist()])
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        logits = model(w[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        if step % 10 == 0:
            el = time.time() - t0
            log.write(json.dumps({'step': step, 'train_loss': loss.item(), 'lr': lr_at(step), 'grad_norm': gnorm,
                                  'time_s': round(el, 1)}) + '\n')
            log.flush()
            print(f'step {step}: loss {loss.item():.4f} (smoothed {smooth:.4f}) lr {lr_at(step):.2e} |g| {gnorm:.2f} '
                  f'{(step + 1) * tokens_per_step / el:.0f} tok/s', flush=True)
    wall = time.time() - t0
    log.close()

    # Final: reload the best checkpoint, check transformers agrees, score the whole valid file.
    best_sd = MambaForCausalLM.from_pretrained(hf_dir).state_dict()
    model.load_state_dict(best_sd, strict=False)
    model.set_ternary(False)  # a ternary checkpoint already holds W~ * gamma
    # transformers has no ReLU gate (its hidden_act also changes the conv activation): check SiLU models only,
    # a ReLU model against our reference loop.
    diff = ref_diff = None
    if args.activation == 'silu':
        diff = verify_with_transformers(model, hf_dir, valid[:129].unsqueeze(0))
    else:
        ref_diff = verify_reference_loop(model, valid[:129].unsqueeze(0))
    results = {}
    for ctx in sorted({args.seq_len, 1024}):
        loss, n = evaluate(model, valid, ctx, 8 if ctx > 512 else 32)
        results[ctx] = {'loss': loss, 'ppl': math.exp(loss), 'tokens_scored': n}
        print(f'tinystories-valid-head, windows of {ctx}: loss {loss:.4f}, perplexity {math.exp(loss):.3f} ({n} tokens)')
    h_loss, _ = evaluate(model, holdout, args.seq_len, 32)
    t_loss, _ = evaluate(model, train, args.seq_len, 32, 65536)
    summary = {
        'name': args.name, 'args': vars(args), 'n_params': n_params, 'vocab_padded': vocab_padded,
        'd_inner': cfg.intermediate_size, 'dt_rank': cfg.time_step_rank,
        'train_tokens': len(train), 'holdout_tokens': len(holdout), 'valid_tokens': len(valid),
        'steps_done': step, 'best_step': best[1], 'tokens_seen': step * tokens_per_step,
        'epochs': step * tokens_per_step / len(train), 'wall_time_s': round(wall, 1),
        'tokens_per_s': round(step * tokens_per_step / wall, 1),
        'best_holdout_loss': best[0], 'holdout_loss': h_loss, 'train_loss_first_64k': t_loss,
        'valid': results, 'transformers_max_logit_diff': diff, 'reference_loop_max_logit_diff': ref_diff,
        'init_from': args.init_from, 'ternary': args.ternary,
        'ternary_tensors': ternary_stats(best_sd, args.n_layer) if args.ternary else None,
        'files': file_table(TRAIN_FILES), 'valid_file': file_table([VALID_FILE])[0],
        'torch': torch.__version__,
    }
    (out / 'summary.json').write_text(json.dumps(summary, indent=2) + '\n')
    plot(log_path, png, f'{args.name}: d_model {args.d_model}, {args.n_layer} layers, {n_params / 1e6:.2f}M params')
    print(json.dumps({k: v for k, v in summary.items() if k not in ('files', 'args')}, indent=1))


if __name__ == '__main__':
    main()
