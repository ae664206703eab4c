/** A dataset file: where it lives in a data folder, where it comes from, and what its bytes hash to. */
export interface DataFile {
  /** Path inside a data folder (the layout of ../shared/data). */
  path: string;
  /** Upstream URLs, tried in order; all must serve exactly these bytes. */
  urls: readonly string[];
  /** sha256 of the file as stored (gzip-compressed where the path ends in .gz). */
  sha256: string;
  bytes: number;
  records: number;
  licence: string;
}

const raw = (repo: string, commit: string, path: string) =>
  `https://raw.githubusercontent.com/${repo}/${commit}/${path}`;

/** The pinned upstream files (see ../shared/data/PROVENANCE.md for how each was checked). */
export const DATA_FILES = {
  humaneval: {
    path: 'humaneval/HumanEval.jsonl.gz',
    urls: [raw('openai/human-eval', '6d43fb980f9fee3c892a914eda09951f772ad10d', 'data/HumanEval.jsonl.gz')],
    sha256: 'b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef',
    bytes: 44877,
    records: 164,
    licence: 'MIT',
  },
  humanevalpack: {
    path: 'humanevalpack/humanevalpack_python.jsonl',
    urls: [
      raw(
        'bigcode-project/octopack',
        'e17a8f6470264286bc6a52eb8263582083bf3bf6',
        'evaluation/create/humaneval-x/data/python/data/humanevalpack.jsonl',
      ),
    ],
    sha256: 'b1376d72be4bd016a62ad043d9de3846edb8d63edf1222da802a31330c14c3a7',
    bytes: 537907,
    records: 164,
    licence: 'MIT',
  },
  mbpp: {
    path: 'mbpp/mbpp.jsonl',
    urls: [
      raw('google-research/google-research', '30adf0ec5f35f9609c2f1d896005e184195d9146', 'mbpp/mbpp.jsonl'),
      raw('patdfb/TPC-EES', '0f4e84d313671e09268aecb804d0e99062980869', 'mbpp/mbpp.jsonl'),
    ],
    sha256: 'ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f',
    bytes: 563743,
    records: 974,
    licence: 'CC-BY-4.0',
  },
  humanevalPlus: {
    path: 'evalplus/HumanEvalPlus-OriginFmt-v0.1.10.jsonl.gz',
    urls: [
      raw(
        'evalplus/humanevalplus_release',
        '200defce9e3429d28ca215b6dd061c0f7f31c18b',
        'HumanEvalPlus-OriginFmt.jsonl.gz',
      ),
    ],
    sha256: 'daa7661c8189924068069b0872a440b491edb60f8bdf431d5957adc88d18bae5',
    bytes: 1350689,
    records: 164,
    licence: 'Apache-2.0',
  },
  /** EvalPlus's own format of HumanEval+ (what evalplus.evaluate reads): nxt takes each task's `atol` from it. */
  humanevalPlusEvalplusFormat: {
    path: 'evalplus/HumanEvalPlus-v0.1.10.jsonl.gz',
    urls: [raw('evalplus/humanevalplus_release', '200defce9e3429d28ca215b6dd061c0f7f31c18b', 'HumanEvalPlus.jsonl.gz')],
    sha256: '272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101',
    bytes: 925932,
    records: 164,
    licence: 'Apache-2.0',
  },
  mbppPlus: {
    path: 'evalplus/MbppPlus-OriginFmt-v0.2.0.jsonl.gz',
    urls: [raw('evalplus/mbppplus_release', 'dadf43da556a00f7bacd71cb154f2932757d9144', 'MbppPlus-OriginFmt.jsonl.gz')],
    sha256: '7a5aec547b134fa297ee6c45f829298aa3f58de02547b8d8a5c3d85d9cb10efc',
    bytes: 549938,
    records: 378,
    licence: 'Apache-2.0',
  },
} as const satisfies Record<string, DataFile>;

export type DataFileName = keyof typeof DATA_FILES;
