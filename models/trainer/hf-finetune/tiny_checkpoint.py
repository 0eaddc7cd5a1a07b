#!/usr/bin/env python3
"""Writes a tiny random BERT as a local Hugging Face checkpoint (config, safetensors, tokenizer).

For the fine-tune job's acceptance test and for a quick try of the job without a downloaded IndoBERT:
  .venv-train/bin/python models/trainer/hf-finetune/tiny_checkpoint.py --vocab ../shared/fixtures/indobert-vocab/vocab.txt --out /tmp/tiny-bert
Its weights are random: it stands in for the architecture, not for a trained model.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"

import argparse  # noqa: E402

import torch  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocab", required=True, help="a WordPiece vocab.txt (e.g. IndoLEM's)")
    p.add_argument("--out", required=True)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=128)
    p.add_argument("--max-positions", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    tokenizer = BertTokenizerFast(vocab=a.vocab, do_lower_case=True, model_max_length=a.max_positions)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=a.hidden,
        num_hidden_layers=a.layers,
        num_attention_heads=a.heads,
        intermediate_size=a.intermediate,
        max_position_embeddings=a.max_positions,
        pad_token_id=tokenizer.pad_token_id,
    )
    BertForSequenceClassification(config).save_pretrained(a.out)
    tokenizer.save_pretrained(a.out)
    print(f"tiny BERT ({a.layers} layers, hidden {a.hidden}, vocab {len(tokenizer)}) written to {a.out}")


if __name__ == "__main__":
    main()
