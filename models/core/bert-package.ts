// The generated BERT (bert-graph.ts) as an HF-shaped package with the IndoLEM WordPiece tokenizer:
// a transformer-shaped model the engine, the registry and distillation handle exactly like an
// IndoBERT export (inputs input_ids, attention_mask, token_type_ids; output logits). Its weights
// are random, so it stands in for the architecture, not for a trained model.
import { buildBertOnnx, type BertShape } from './bert-graph.js';
import { SENTIMENTS, writePackage } from './package.js';
import { bertTokenizerJson, readVocabTxt } from './tokenizer.js';

export function writeGeneratedBertPackage(
  dir: string,
  o: {
    vocabFile: string;
    shape: Omit<BertShape, 'vocabSize' | 'numLabels'>;
    seed?: number;
    initStd?: number;
    name?: string;
  },
): string {
  const vocab = readVocabTxt(o.vocabFile);
  const shape: BertShape = { ...o.shape, vocabSize: vocab.length, numLabels: SENTIMENTS.length };
  return writePackage(dir, {
    onnx: buildBertOnnx(shape, { seed: o.seed ?? 1234, initStd: o.initStd }),
    tokenizerJson: bertTokenizerJson(vocab),
    vocabTxt: vocab,
    labels: [...SENTIMENTS],
    meta: {
      name: o.name ?? 'generated-bert',
      version: '1',
      family: 'bert',
      training_run_id: null,
      metrics: {},
      dataset_hash: null,
      feature_set_version: null,
      created_at: new Date(0).toISOString(),
      preprocessing: 'none',
      max_length: Math.min(128, shape.maxPositions),
    },
    extraConfig: {
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      hidden_size: shape.hidden,
      num_hidden_layers: shape.layers,
      num_attention_heads: shape.heads,
      intermediate_size: shape.intermediate,
      vocab_size: shape.vocabSize,
    },
  });
}
