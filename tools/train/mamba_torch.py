"""Mamba-1 language model in plain PyTorch, for training on the CPU.

Parameter names and shapes are those of transformers' `MambaForCausalLM` (a `state_dict()` of this module
loads there with `strict=True`), and the math is its `slow_forward` line for line; only the selective scan is
computed differently: `SelectiveScan` runs the recurrence h_t = exp(Δ_t A) ⊙ h_{t-1} + Δ_t B_t x_t as one
in-place `addcmul` per time step over the whole (batch, d_inner, d_state) slab, with a hand-written backward
(a second linear recurrence, run backwards), so autograd stores only the states. `selective_scan_ref` is the
transformers loop, kept to test the two equal (`python tools/train/mamba_torch.py` runs that test).

Shapes below: b batch, l sequence, d d_inner, n d_state, r dt_rank.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

GATE_ACTIVATIONS = {'silu': F.silu, 'relu': F.relu}


TERNARY_PROJECTIONS = ('in_proj', 'x_proj', 'out_proj')  # the linear layers --ternary quantizes (per block)
TERNARY_EPS = 1e-5


def ternarize(w):
    """BitNet b1.58 absmean quantization, per tensor: gamma = mean|W|, W~ = clamp(round(W / (gamma + eps)), -1, 1);
    returns W~ * gamma (no gradient: use TernarySTE for training)."""
    gamma = w.abs().mean()
    return torch.clamp(torch.round(w / (gamma + TERNARY_EPS)), -1, 1) * gamma


class TernarySTE(torch.autograd.Function):
    """Forward: ternarize(W) exactly; backward: the straight-through estimator (identity to W), i.e. the value of
    W + (ternarize(W) - W).detach() without its rounding error."""

    @staticmethod
    def forward(ctx, w):
        return ternarize(w)

    @staticmethod
    def backward(ctx, g):
        return g


CHUNK_ELEMENTS = 1 << 20  # time steps are processed in chunks of ~4 MB per (t, b, d, n) tensor, to stay in cache


class SelectiveScan(torch.autograd.Function):
    """y_t = C_t · h_t with h_t = exp(Δ_t A) h_{t-1} + Δ_t x_t B_t, h_{-1} = 0. Inputs time-major:
    delta, x (l, b, d); A (d, n); Bm, Cm (l, b, n). Returns y (l, b, d) (without the D·x skip).
    Works through the sequence in chunks of T time steps so every (T, b, d, n) temporary stays in cache;
    only the states hs (l, b, d, n) are kept for the backward pass."""

    @staticmethod
    def forward(ctx, delta, A, Bm, Cm, x):
        L, nb, d = x.shape
        T = max(1, CHUNK_ELEMENTS // (nb * d * A.shape[1]))
        hs = torch.empty(L, nb, d, A.shape[1], dtype=x.dtype)
        y = torch.empty(L, nb, d, dtype=x.dtype)
        for s in range(0, L, T):
            e = min(L, s + T)
            # discrete_A = torch.exp(A[None, :, None, :] * discrete_time_step[:, :, :, None])   (T, b, d, n)
            a = torch.exp(delta[s:e].unsqueeze(-1) * A)
            # deltaB_u = discrete_B * hidden_states[:, :, :, None]                               (T, b, d, n)
            h = hs[s:e]
            torch.mul((delta[s:e] * x[s:e]).unsqueeze(-1), Bm[s:e].unsqueeze(2), out=h)
            # ssm_state = discrete_A[:, :, i, :] * ssm_state + deltaB_u[:, :, i, :]
            if s > 0:
                h[0].addcmul_(a[0], hs[s - 1])
            for t in range(1, e - s):
                h[t].addcmul_(a[t], h[t - 1])
            # scan_output = torch.matmul(ssm_state, C[:, i, :].unsqueeze(-1))                    (T, b, d)
            torch.matmul(h, Cm[s:e].unsqueeze(-1), out=y[s:e].unsqueeze(-1))
        ctx.save_for_backward(delta, A, Bm, Cm, x, hs)
        return y

    @staticmethod
    def backward(ctx, gy):
        delta, A, Bm, Cm, x, hs = ctx.saved_tensors
        L, nb, d = x.shape
        T = max(1, CHUNK_ELEMENTS // (nb * d * A.shape[1]))
        gy = gy.contiguous()
        d_delta, d_x = torch.empty_like(delta), torch.empty_like(x)
        dB, dC = torch.empty_like(Bm), torch.empty_like(Cm)
        dA = torch.zeros_like(A)
        a_next = dh_next = None
        for s in reversed(range(0, L, T)):
            e = min(L, s + T)
            a = torch.exp(delta[s:e].unsqueeze(-1) * A)
            # dL/dh_t = gy_t C_t + a_{t+1} dL/dh_{t+1}, backwards                               (T, b, d, n)
            dh = gy[s:e].unsqueeze(-1) * Cm[s:e].unsqueeze(2)
            if a_next is not None:
                dh[-1].addcmul_(a_next, dh_next)
            for t in range(e - s - 2, -1, -1):
                dh[t].addcmul_(a[t + 1], dh[t + 1])
            a_next, dh_next = a[0], dh[0].clone()
            h = hs[s:e]
            # y = h·C  →  dC = Σ_d gy h                                                           (T, b, n)
            torch.matmul(gy[s:e].unsqueeze(-2), h, out=dC[s:e].unsqueeze(-2))
            # h_t = a_t h_{t-1} + (Δx)_t B_t  →  d(Δx) = Σ_n dh B, dB = Σ_d dh (Δx)
            dx = delta[s:e] * x[s:e]
            d_dx = torch.matmul(dh, Bm[s:e].unsqueeze(-1)).squeeze(-1)
            torch.matmul(dx.unsqueeze(-2), dh, out=dB[s:e].unsqueeze(-2))
            # a_t = exp(Δ_t A)  →  s_t = dh_t h_{t-1} a_t = dL/d(Δ_t A)  (h_{-1} = 0)
            if s > 0:
                sa = dh.mul_(hs[s - 1:e - 1]).mul_(a)
                dd = delta[s:e]
            else:
                sa = dh[1:].mul_(hs[:e - 1]).mul_(a[1:])
                dd = delta[1:e]
            torch.mul(d_dx, x[s:e], out=d_delta[s:e])
            d_delta[e - len(sa):e] += (sa * A).sum(-1)
            dA += sa.mul_(dd.unsqueeze(-1)).sum((0, 1))
            torch.mul(d_dx, delta[s:e], out=d_x[s:e])
        return d_delta, dA, dB, dC, d_x


@torch.no_grad()
def selective_scan_stateful(delta, A, Bm, Cm, x, h0):
    """Inference only: the same recurrence starting from h0 (b, d, n); returns y (l, b, d) and h_{l-1}."""
    L, nb, d = x.shape
    T = max(1, CHUNK_ELEMENTS // (nb * d * A.shape[1]))
    y = torch.empty(L, nb, d, dtype=x.dtype)
    prev = h0
    for s in range(0, L, T):
        e = min(L, s + T)
        a = torch.exp(delta[s:e].unsqueeze(-1) * A)
        h = (delta[s:e] * x[s:e]).unsqueeze(-1) * Bm[s:e].unsqueeze(2)
        h[0].addcmul_(a[0], prev)
        for t in range(1, e - s):
            h[t].addcmul_(a[t], h[t - 1])
        torch.matmul(h, Cm[s:e].unsqueeze(-1), out=y[s:e].unsqueeze(-1))
        prev = h[-1].clone()
    return y, prev


def selective_scan_ref(delta, A, Bm, Cm, x):
    """The transformers `slow_forward` loop (same time-major arguments as SelectiveScan)."""
    h = torch.zeros(x.shape[1], x.shape[2], A.shape[1], dtype=x.dtype)
    ys = []
    for t in range(x.shape[0]):
        h = torch.exp(delta[t].unsqueeze(-1) * A) * h + (delta[t] * x[t]).unsqueeze(-1) * Bm[t].unsqueeze(1)
        ys.append(torch.matmul(h, Cm[t].unsqueeze(-1)).squeeze(-1))
    return torch.stack(ys)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, h):
        # MambaRMSNorm: weight * h * rsqrt(mean(h^2) + eps)
        return self.weight * (h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps))


class Mixer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d_model, d_inner, n, r, k = cfg['hidden_size'], cfg['intermediate_size'], cfg['state_size'], cfg['time_step_rank'], cfg['conv_kernel']
        self.d_inner, self.n, self.r = d_inner, n, r
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)                   # (2d, d_model)
        self.conv1d = nn.Conv1d(d_inner, d_inner, k, groups=d_inner, padding=k - 1)   # (d, 1, k), (d)
        self.x_proj = nn.Linear(d_inner, r + 2 * n, bias=False)                      # (r+2n, d)
        self.dt_proj = nn.Linear(r, d_inner, bias=True)                              # (d, r), (d)
        self.A_log = nn.Parameter(torch.zeros(d_inner, n))                           # (d, n)
        self.D = nn.Parameter(torch.ones(d_inner))                                   # (d)
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)                      # (d_model, d)
        self.gate = GATE_ACTIVATIONS[cfg.get('gate_activation', 'silu')]
        self.use_reference_scan = False
        self.ternary = False  # quantization-aware training: in_proj, x_proj, out_proj use TernarySTE(W)

    def proj(self, name, v):
        lin = getattr(self, name)
        return F.linear(v, TernarySTE.apply(lin.weight)) if self.ternary else lin(v)

    def forward(self, h, state=None):                                                 # h (b, l, d_model)
        """state (inference only): [conv_state (b, d, k-1), ssm_state (b, d, n)], updated in place."""
        L = h.shape[1]
        # projected_states = self.in_proj(hidden_states); hidden_states, gate = chunk(2)   (b, l, d) each
        x, z = self.proj('in_proj', h).chunk(2, dim=-1)
        # hidden_states = self.act(self.conv1d(hidden_states)[..., :seq_len])             (b, d, l)
        if state is None:
            x = F.silu(self.conv1d(x.transpose(1, 2))[..., :L])
        else:  # the cached inputs replace the left zero padding
            xc = torch.cat([state[0], x.transpose(1, 2)], dim=2)
            state[0] = xc[:, :, -(self.conv1d.kernel_size[0] - 1):].clone()
            x = F.silu(F.conv1d(xc, self.conv1d.weight, self.conv1d.bias, groups=self.d_inner))
        xt = x.permute(2, 0, 1)                                                          # (l, b, d)
        # ssm_parameters = self.x_proj(hidden_states.transpose(1, 2))                     (l, b, r+2n)
        dt, Bm, Cm = self.proj('x_proj', xt).split([self.r, self.n, self.n], dim=-1)
        # discrete_time_step = softplus(self.dt_proj(time_step))                          (l, b, d)
        delta = F.softplus(self.dt_proj(dt))
        # A = -torch.exp(self.A_log.float())                                              (d, n)
        A = -torch.exp(self.A_log)
        args = (delta.contiguous(), A, Bm.contiguous(), Cm.contiguous(), xt.contiguous())
        if state is not None:
            y, state[1] = selective_scan_stateful(*args, state[1])
        else:
            y = (selective_scan_ref if self.use_reference_scan else SelectiveScan.apply)(*args)
        # scan_output = scan_output + (hidden_states * self.D[None, :, None])             (l, b, d)
        y = y + xt * self.D
        # scan_output = scan_output * self.act(gate); self.out_proj(scan_output.transpose(1, 2))
        return self.proj('out_proj', y.transpose(0, 1) * self.gate(z))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm = RMSNorm(cfg['hidden_size'], cfg['layer_norm_epsilon'])
        self.mixer = Mixer(cfg)

    def forward(self, h, state=None):
        # hidden_states = residual + self.mixer(self.norm(hidden_states))  (residual in fp32: all fp32 here)
        return h + self.mixer(self.norm(h), state)


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = nn.Embedding(cfg['vocab_size'], cfg['hidden_size'])
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg['num_hidden_layers']))
        self.norm_f = RMSNorm(cfg['hidden_size'], cfg['layer_norm_epsilon'])


class MambaLM(nn.Module):
    """Same state_dict keys as transformers MambaForCausalLM; lm_head.weight is the embedding (tied)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        self.lm_head = nn.Linear(cfg['hidden_size'], cfg['vocab_size'], bias=False)
        self.lm_head.weight = self.backbone.embeddings.weight
        self.dropout = 0.0

    def new_state(self, batch):
        """Zero recurrent state for forward(ids, state): per layer [conv inputs, SSM state]."""
        c = self.cfg
        return [[torch.zeros(batch, c['intermediate_size'], c['conv_kernel'] - 1),
                 torch.zeros(batch, c['intermediate_size'], c['state_size'])] for _ in range(c['num_hidden_layers'])]

    def forward(self, ids, state=None):                                               # ids (b, l)
        h = self.backbone.embeddings(ids)
        for i, layer in enumerate(self.backbone.layers):
            h = layer(h, None if state is None else state[i])
            if self.training and self.dropout:
                h = F.dropout(h, self.dropout)
        return self.lm_head(self.backbone.norm_f(h))                                  # (b, l, vocab)

    def set_ternary(self, on=True):
        """Ternary forward (TernarySTE) for in_proj, x_proj, out_proj of every block. Only for training on latent
        full-precision weights: a saved ternary checkpoint (ternary_state_dict) already holds W~ * gamma and is run
        with this off (ternarizing it again would change gamma)."""
        for layer in self.backbone.layers:
            layer.mixer.ternary = on

    def ternary_state_dict(self):
        """state_dict with the ternarized weights W~ * gamma of the quantized projections: what the forward computed with."""
        sd = self.state_dict()
        for i in range(len(self.backbone.layers)):
            for name in TERNARY_PROJECTIONS:
                key = f'backbone.layers.{i}.mixer.{name}.weight'
                sd[key] = ternarize(sd[key].detach())
        return sd

    def use_reference_scan(self, on=True):
        for layer in self.backbone.layers:
            layer.mixer.use_reference_scan = on


def _test():
    torch.manual_seed(0)
    l, b, d, n = 37, 3, 10, 4
    args = [torch.rand(l, b, d, dtype=torch.float64) * 0.5 + 0.01, -torch.rand(d, n, dtype=torch.float64) * 3,
            torch.randn(l, b, n, dtype=torch.float64), torch.randn(l, b, n, dtype=torch.float64),
            torch.randn(l, b, d, dtype=torch.float64)]
    args = [t.requires_grad_() for t in args]
    y1, y2 = SelectiveScan.apply(*args), selective_scan_ref(*args)
    g = torch.randn_like(y1)
    g1 = torch.autograd.grad(y1, args, g)
    g2 = torch.autograd.grad(y2, args, g)
    err = max([(y1 - y2).abs().max().item()] + [(p - q).abs().max().item() for p, q in zip(g1, g2)])
    assert err < 1e-10, err
    print(f'SelectiveScan == reference loop (values and gradients), max abs diff {err:.1e}')


if __name__ == '__main__':
    _test()
