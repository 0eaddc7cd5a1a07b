#!/usr/bin/env python3
"""Fine-tunes a local Hugging Face encoder checkpoint for Ulasan's three sentiments.

The training half of the `hf-finetune` launcher job (job.ts runs it, then measures the package through
the serving engine). Reads the launcher's JSONL rows ({"text", "label", "weight"?}), fine-tunes with
PyTorch/transformers (weighted cross-entropy, AdamW, linear warm-up and decay; CUDA when available),
exports ONNX, quantizes it to dynamic int8 with onnxruntime.quantization, checks both exports against
PyTorch on the same token ids, and writes a model package (model.onnx, tokenizer files, config.json,
ulasan.json) to --out. The hub is never contacted: HF_HUB_OFFLINE=1 and local_files_only=True.

Exit codes: 0 package written; 1 the run failed (bad data, export check failed; stderr says why);
2 bad arguments; 3 the parent process is gone.
"""
import os

# Before transformers is imported: it reads these once.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import copy  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

SENTIMENTS = ["negative", "neutral", "positive"]
ALIASES = {
    "negative": 0, "neg": 0, "negatif": 0,
    "neutral": 1, "neu": 1, "netral": 1,
    "positive": 2, "pos": 2, "positif": 2,
}
ONNX_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
PARENT = os.getppid()


class JobError(Exception):
    """A failure the run reports as its reason (exit code 1)."""


def log(msg):
    print(f"hf-finetune: {msg}", flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="finetune.py", description=__doc__.split("\n\n")[0])
    env = os.environ.get
    p.add_argument("--checkpoint", default=env("ULASAN_HF_CHECKPOINT"),
                   help="local checkpoint directory (default $ULASAN_HF_CHECKPOINT)")
    p.add_argument("--train", default=env("ULASAN_JOB_TRAIN"))
    p.add_argument("--valid", default=env("ULASAN_JOB_VALID"))
    p.add_argument("--out", default=env("ULASAN_JOB_OUT"))
    p.add_argument("--run-id", default=env("ULASAN_JOB_RUN_ID"))
    p.add_argument("--name", default=env("ULASAN_JOB_NAME", "indobert"))
    p.add_argument("--epochs", type=float, default=3)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-5)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=float, default=0.1, help="share of the steps spent warming up")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--dev-share", type=float, default=0.05,
                   help="training rows held out to pick the best epoch (at most 2,000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=env("ULASAN_HF_DEVICE", "auto"))
    p.add_argument("--threads", type=int, default=0, help="CPU threads for PyTorch (0 = its default)")
    p.add_argument("--serve", choices=["int8", "fp32"], default="int8", help="which export is model.onnx")
    p.add_argument("--check-texts", type=int, default=300)
    p.add_argument("--max-logit-delta", type=float, default=1e-4, help="fp32 ONNX vs PyTorch bound")
    p.add_argument("--min-int8-agreement", type=float, default=0.99, help="int8 top label vs PyTorch bound")
    p.add_argument("--check-file", default=env("ULASAN_HF_CHECK_FILE"),
                   help="where to write the check texts and PyTorch logits (job.ts re-checks the served engine)")
    a = p.parse_args(argv)
    for name in ["checkpoint", "train", "valid", "out", "run_id"]:
        if not getattr(a, name):
            p.error(f"--{name.replace('_', '-')} is required (or its ULASAN_* variable)")
    if not os.path.isdir(a.checkpoint):
        p.error(f"checkpoint {a.checkpoint} is not a directory (a local Hugging Face checkpoint is needed)")
    if a.epochs <= 0 or a.batch_size < 1 or a.check_texts < 1:
        p.error("--epochs, --batch-size and --check-texts must be positive")
    return a


def check_parent():
    # The launcher (through job.ts) may be SIGKILLed; an orphaned job stops rather than run on.
    if os.getppid() != PARENT:
        print("hf-finetune: parent process is gone, stopping", file=sys.stderr, flush=True)
        os._exit(3)


def read_rows(file, labelled=True):
    rows = []
    with open(file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                raise JobError(f"{file}:{n}: not JSON ({e.msg})") from e
            text, label, weight = r.get("text"), r.get("label"), r.get("weight", 1)
            if not isinstance(text, str) or not text.strip():
                raise JobError(f"{file}:{n}: text must be a non-empty string")
            y = ALIASES.get(str(label).strip().lower()) if labelled else None
            if labelled and y is None:
                raise JobError(f"{file}:{n}: label {label!r} is not one of {', '.join(SENTIMENTS)}")
            if not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
                raise JobError(f"{file}:{n}: weight must be a finite number >= 0 (got {weight!r})")
            rows.append((text, y, float(weight)))
    if not rows:
        raise JobError(f"{file} has no rows")
    return rows


def sha256_files(*files):
    h = hashlib.sha256()
    for file in files:
        with open(file, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def pick_device(choice):
    if choice == "cuda" and not torch.cuda.is_available():
        raise JobError("--device cuda, but torch.cuda.is_available() is false")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def load_model(checkpoint):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            checkpoint,
            local_files_only=True,
            num_labels=len(SENTIMENTS),
            id2label=dict(enumerate(SENTIMENTS)),
            label2id={s: i for i, s in enumerate(SENTIMENTS)},
            ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError) as e:
        raise JobError(f"cannot load the checkpoint {checkpoint}: {e}") from e
    if not getattr(tokenizer, "is_fast", False):
        raise JobError(f"{checkpoint}: no fast tokenizer (the package needs tokenizer.json)")
    return tokenizer, model


def encode(tokenizer, texts, max_length):
    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]


def batches_by_length(ids, batch_size, rng):
    """Shuffled batches of similar lengths (less padding), as HF's group_by_length does."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    mega = batch_size * 50
    out = []
    for i in range(0, len(order), mega):
        chunk = sorted(order[i:i + mega], key=lambda k: len(ids[k]))
        out += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def collate(tokenizer, ids, input_names, device):
    batch = tokenizer.pad({"input_ids": ids}, padding=True, return_tensors="pt")
    feeds = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    if "token_type_ids" in input_names:
        feeds["token_type_ids"] = torch.zeros_like(batch["input_ids"])
    return {k: v.to(device) for k, v in feeds.items()}


def model_inputs(tokenizer):
    names = [n for n in ONNX_INPUTS if n in tokenizer.model_input_names or n == "attention_mask"]
    return [n for n in ONNX_INPUTS if n in names]


@torch.no_grad()
def logits_of(model, tokenizer, ids, input_names, device, batch_size=64):
    model.eval()
    out = []
    for i in range(0, len(ids), batch_size):
        feeds = collate(tokenizer, ids[i:i + batch_size], input_names, device)
        out.append(model(**feeds).logits.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, len(SENTIMENTS)), dtype=np.float32)


def macro_f1(truth, pred):
    f1s = []
    for c in range(len(SENTIMENTS)):
        tp = sum(1 for t, p in zip(truth, pred) if t == c and p == c)
        predicted = sum(1 for p in pred if p == c)
        support = sum(1 for t in truth if t == c)
        prec = tp / predicted if predicted else 0.0
        rec = tp / support if support else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s)


def split_dev(rows, share, rng):
    order = list(range(len(rows)))
    rng.shuffle(order)
    n_dev = min(2000, int(len(rows) * share)) if len(rows) >= 20 else 0
    return [rows[i] for i in order[n_dev:]], [rows[i] for i in order[:n_dev]]


def train(a, tokenizer, model, rows, device):
    rng = random.Random(a.seed)
    torch.manual_seed(a.seed)
    train_rows, dev_rows = split_dev(rows, a.dev_share, rng)
    names = model_inputs(tokenizer)
    ids = encode(tokenizer, [r[0] for r in train_rows], a.max_length)
    labels = torch.tensor([r[1] for r in train_rows])
    weights = torch.tensor([r[2] for r in train_rows], dtype=torch.float32)
    dev_ids = encode(tokenizer, [r[0] for r in dev_rows], a.max_length)
    per_epoch = math.ceil(len(ids) / a.batch_size)
    total = max(1, math.ceil(per_epoch * a.epochs))
    opt, sched = optimizer_for(model, a, total)
    model.to(device)
    history, best, step = [], None, 0
    for epoch in range(1, math.ceil(a.epochs) + 1):
        model.train()
        loss_sum, weight_sum, t0 = 0.0, 0.0, time.time()
        for b in batches_by_length(ids, a.batch_size, rng):
            if step >= total:
                break
            check_parent()
            feeds = collate(tokenizer, [ids[k] for k in b], names, device)
            w = weights[b].to(device)
            if w.sum() <= 0:
                continue
            with autocast(device):
                logits = model(**feeds).logits.float()
            loss = (F.cross_entropy(logits, labels[b].to(device), reduction="none") * w).sum() / w.sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            loss_sum += float(loss.detach()) * float(w.sum())
            weight_sum += float(w.sum())
            step += 1
        dev = dev_f1(model, tokenizer, dev_ids, [r[1] for r in dev_rows], names, device)
        record = {"epoch": epoch, "train_loss": loss_sum / max(weight_sum, 1e-12), "dev_macro_f1": dev}
        history.append(record)
        log(f"epoch {epoch}: train loss {record['train_loss']:.4f}, dev macro-F1 {dev:.4f} "
            f"({time.time() - t0:.1f} s, {len(ids)} rows, {device.type})")
        if best is None or dev > best[0]:
            best = (dev, epoch, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[2])
    return {"history": history, "best_epoch": best[1], "dev_macro_f1": best[0],
            "train_rows": len(train_rows), "dev_rows": len(dev_rows), "steps": step}


def optimizer_for(model, a, total_steps):
    from transformers import get_linear_schedule_with_warmup

    decay = [p for n, p in model.named_parameters() if not any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    rest = [p for n, p in model.named_parameters() if any(k in n for k in ("bias", "LayerNorm", "layer_norm"))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr)
    return opt, get_linear_schedule_with_warmup(opt, int(total_steps * a.warmup), total_steps)


def autocast(device):
    # bf16 autocast on a GPU that has it (weights and the optimiser stay fp32); plain fp32 on CPU.
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast(device.type, enabled=False)


def dev_f1(model, tokenizer, ids, truth, names, device):
    if not ids:
        return 0.0
    pred = logits_of(model, tokenizer, ids, names, device).argmax(axis=1).tolist()
    return macro_f1(truth, pred)


class LogitsOnly(torch.nn.Module):
    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            feeds["token_type_ids"] = token_type_ids
        return self.model(**feeds).logits


def export_onnx(model, names, file):
    model = model.cpu().float().eval()
    sample = {n: torch.ones((2, 8), dtype=torch.long) for n in names}
    if "token_type_ids" in sample:
        sample["token_type_ids"] = torch.zeros((2, 8), dtype=torch.long)
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(LogitsOnly(model, names), tuple(sample[n] for n in names), file, input_names=names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    import onnx

    onnx.checker.check_model(file)


def quantize(fp32_file, int8_file):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # MatMuls only (weights int8 per tensor, activations uint8 at run time), as models/core/quantize.ts
    # does; embeddings and attention's activation x activation products stay fp32.
    quantize_dynamic(fp32_file, int8_file, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])


def ort_logits(file, tokenizer, ids, names, batch_size=64):
    import onnxruntime as ort

    session = ort.InferenceSession(file, providers=["CPUExecutionProvider"])
    declared = {i.name for i in session.get_inputs()}
    out = []
    for i in range(0, len(ids), batch_size):
        feeds = collate(tokenizer, ids[i:i + batch_size], names, torch.device("cpu"))
        out.append(session.run(["logits"], {k: v.numpy() for k, v in feeds.items() if k in declared})[0])
    return np.concatenate(out)


def check_texts(valid, train_rows, n, seed):
    """n distinct texts: a seeded sample of the validation rows, topped up from the training rows."""
    seen, out = set(), []
    for pool in (valid, train_rows):
        texts = [r[0] for r in pool]
        random.Random(seed).shuffle(texts)
        for t in texts:
            if len(out) >= n:
                return out
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


def check_exports(a, model, tokenizer, texts, fp32_file, int8_file):
    names = model_inputs(tokenizer)
    ids = encode(tokenizer, texts, a.max_length)
    ref = logits_of(model.cpu().float(), tokenizer, ids, names, torch.device("cpu"))
    fp32 = ort_logits(fp32_file, tokenizer, ids, names)
    int8 = ort_logits(int8_file, tokenizer, ids, names)
    top = ref.argmax(axis=1)
    check = {
        "texts": len(texts),
        "fp32_max_abs_logit_diff": float(np.abs(fp32 - ref).max()),
        "fp32_top_label_agreement": float((fp32.argmax(axis=1) == top).mean()),
        "int8_max_abs_logit_diff": float(np.abs(int8 - ref).max()),
        "int8_top_label_agreement": float((int8.argmax(axis=1) == top).mean()),
        "max_logit_delta_bound": a.max_logit_delta,
        "min_int8_agreement_bound": a.min_int8_agreement,
    }
    log(f"export check on {len(texts)} texts: fp32 max |dlogit| {check['fp32_max_abs_logit_diff']:.2e}, "
        f"int8 top-label agreement {check['int8_top_label_agreement']:.4f}")
    if a.check_file:
        with open(a.check_file, "w", encoding="utf-8") as f:
            json.dump({"texts": texts, "pytorch_logits": ref.tolist()}, f)
    if not check["fp32_max_abs_logit_diff"] <= a.max_logit_delta:
        raise JobError(f"fp32 ONNX export differs from PyTorch: max |dlogit| "
                       f"{check['fp32_max_abs_logit_diff']:.3e} > {a.max_logit_delta}")
    if not check["int8_top_label_agreement"] >= a.min_int8_agreement:
        raise JobError(f"int8 export agrees with PyTorch on {check['int8_top_label_agreement']:.4f} of the "
                       f"top labels < {a.min_int8_agreement}")
    return check


def write_package(a, tokenizer, model, served_file, meta):
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    shutil.copyfile(served_file, os.path.join(a.out, "model.onnx"))
    tokenizer.model_max_length = a.max_length
    tokenizer.save_pretrained(a.out)
    model.config.save_pretrained(a.out)
    # A flat package: the registry hashes every file in the directory and copies it whole.
    for entry in os.listdir(a.out):
        path = os.path.join(a.out, entry)
        if os.path.isdir(path):
            shutil.rmtree(path)
    with open(os.path.join(a.out, "ulasan.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def package_meta(a, model, fit, check, dataset_hash, device, seconds):
    cfg = model.config
    return {
        "name": a.name,
        "version": "candidate",
        "family": "bert",
        "training_run_id": a.run_id,
        "metrics": {
            "history": [fit["history"]],
            "best_epochs": [fit["best_epoch"]],
            "dev_macro_f1": fit["dev_macro_f1"],
            "train_rows": fit["train_rows"],
            "export_check_texts": check["texts"],
            "export_fp32_max_abs_logit_diff": check["fp32_max_abs_logit_diff"],
            "export_int8_top_label_agreement": check["int8_top_label_agreement"],
        },
        "dataset_hash": dataset_hash,
        "feature_set_version": None,
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "preprocessing": "none",
        "max_length": a.max_length,
        "model_card": {
            "base_checkpoint": {
                "dir": os.path.abspath(a.checkpoint),
                "model_type": cfg.model_type,
                "architectures": cfg.architectures,
                "hidden_size": getattr(cfg, "hidden_size", None),
                "num_hidden_layers": getattr(cfg, "num_hidden_layers", None),
                "vocab_size": getattr(cfg, "vocab_size", None),
            },
            "training": {
                "job": "hf-finetune",
                "rows": fit["train_rows"],
                "dev_rows": fit["dev_rows"],
                "steps": fit["steps"],
                "device": device.type,
                "seconds": round(seconds, 1),
                "params": {k: getattr(a, k) for k in ["epochs", "batch_size", "lr", "weight_decay", "warmup",
                                                      "max_length", "dev_share", "seed"]},
                "libraries": library_versions(),
            },
            "export": {**check, "served": a.serve, "opset": 17,
                       "quantization": "onnxruntime.quantization.quantize_dynamic, MatMul, QInt8 weights"},
        },
    }


def library_versions():
    import onnx
    import onnxruntime
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__}


def main(argv):
    a = parse_args(argv)
    t0 = time.time()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = pick_device(a.device)
    train_rows, valid_rows = read_rows(a.train), read_rows(a.valid)
    log(f"{len(train_rows)} training rows, {len(valid_rows)} validation rows; checkpoint {a.checkpoint}; "
        f"device {device.type}")
    # Seeded before loading: a re-initialised classification head draws from torch's generator.
    torch.manual_seed(a.seed)
    tokenizer, model = load_model(a.checkpoint)
    fit = train(a, tokenizer, model, train_rows, device)
    with tempfile.TemporaryDirectory(prefix="ulasan-hf-export-") as tmp:
        fp32, int8 = os.path.join(tmp, "model.fp32.onnx"), os.path.join(tmp, "model.int8.onnx")
        export_onnx(model, model_inputs(tokenizer), fp32)
        quantize(fp32, int8)
        check = check_exports(a, model, tokenizer, check_texts(valid_rows, train_rows, a.check_texts, a.seed),
                              fp32, int8)
        meta = package_meta(a, model, fit, check, sha256_files(a.train, a.valid), device, time.time() - t0)
        write_package(a, tokenizer, model, int8 if a.serve == "int8" else fp32, meta)
    cpu = time.process_time()
    log(f"package written to {a.out} ({time.time() - t0:.1f} s, {cpu:.1f} s CPU)")
    print(json.dumps({"dev_macro_f1": fit["dev_macro_f1"], "export": check}), flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except JobError as e:
        print(f"hf-finetune: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
