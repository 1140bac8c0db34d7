/**
 * From token scores to the outcome rows of the causal engine. Each model token is aligned to the
 * snippet's syntax tree by its character span (syntax/align.ts: it binds to every leaf it overlaps and
 * their ancestors), so any tokenizer works. Per snippet, overall and per concept category:
 * - tokens: model tokens in the group; scored: those with a log-prob (the first may have none);
 * - mean log-prob and mean probability over scored tokens; cross-entropy = -mean log-prob (nats);
 * - top-1 accuracy = share of scored tokens the model ranked first (when the adapter gives ranks);
 * - mean entropy of the predictive distribution (when the adapter gives it).
 * A concept with no token in a snippet has no row (missing, not zero).
 */
import { alignSpans, prepareAlignment, tokenNodeTypes } from '../syntax/align.ts';
import { conceptIds, type ConceptTaxonomy } from '../syntax/concepts.ts';
import type { FlatTree } from '../languages/parser.ts';
import type { TokenScores } from '../models/types.ts';

export interface GroupMetrics {
  tokens: number;
  scored: number;
  meanLogprob: number | null;
  meanProb: number | null;
  crossEntropy: number | null;
  top1Accuracy: number | null;
  meanEntropy: number | null;
}

export interface TokenRow {
  position: number;
  /** The token's id in the model's vocabulary, where the adapter gives it. */
  tokenId: number | null;
  token: string;
  start: number;
  end: number;
  logprob: number | null;
  rank: number | null;
  entropy: number | null;
  concepts: string[];
  leafTypes: string[];
}

export interface SnippetScores {
  overall: GroupMetrics;
  concepts: Map<string, GroupMetrics>;
  tokens: TokenRow[];
}

class Accumulator {
  tokens = 0;
  scored = 0;
  sumLogprob = 0;
  sumProb = 0;
  ranked = 0;
  top1 = 0;
  entropyCount = 0;
  sumEntropy = 0;
  add(logprob: number, rank: number | null, entropy: number | null): void {
    this.tokens++;
    if (Number.isFinite(logprob)) {
      this.scored++;
      this.sumLogprob += logprob;
      this.sumProb += Math.exp(logprob);
      // rank 0: known not to be first, exact rank unknown (a server listed only its top k)
      if (rank !== null) {
        this.ranked++;
        if (rank === 1) this.top1++;
      }
      if (entropy !== null && Number.isFinite(entropy)) {
        this.entropyCount++;
        this.sumEntropy += entropy;
      }
    }
  }
  metrics(): GroupMetrics {
    const mean = this.scored ? this.sumLogprob / this.scored : null;
    return {
      tokens: this.tokens,
      scored: this.scored,
      meanLogprob: mean,
      meanProb: this.scored ? this.sumProb / this.scored : null,
      crossEntropy: mean === null ? null : -mean,
      top1Accuracy: this.ranked ? this.top1 / this.ranked : null,
      meanEntropy: this.entropyCount ? this.sumEntropy / this.entropyCount : null,
    };
  }
}

export function aggregateSnippet(tree: FlatTree, taxonomy: ConceptTaxonomy, scores: TokenScores): SnippetScores {
  const aligned = prepareAlignment(tree, taxonomy);
  const alignment = alignSpans(aligned, scores.offsets);
  const overall = new Accumulator();
  const byConcept = new Map<string, Accumulator>();
  const tokens: TokenRow[] = [];
  for (let t = 0; t < scores.tokens.length; t++) {
    const lp = scores.logprobs[t];
    const rank = scores.ranks ? scores.ranks[t] : null;
    const entropy = scores.entropy ? scores.entropy[t] : null;
    overall.add(lp, rank, entropy);
    const concepts = conceptIds(taxonomy, alignment.conceptMask[t]);
    for (const c of concepts) {
      let acc = byConcept.get(c);
      if (!acc) byConcept.set(c, (acc = new Accumulator()));
      acc.add(lp, rank, entropy);
    }
    tokens.push({
      position: t,
      tokenId: scores.ids ? scores.ids[t] : null,
      token: scores.tokens[t],
      start: scores.offsets[2 * t],
      end: scores.offsets[2 * t + 1],
      logprob: Number.isFinite(lp) ? lp : null,
      rank: rank !== null && rank > 0 ? rank : null,
      entropy: entropy !== null && Number.isFinite(entropy) ? entropy : null,
      concepts,
      leafTypes: tokenNodeTypes(aligned, alignment, t).leaves,
    });
  }
  const concepts = new Map([...byConcept].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, acc]) => [c, acc.metrics()]));
  return { overall: overall.metrics(), concepts, tokens };
}
