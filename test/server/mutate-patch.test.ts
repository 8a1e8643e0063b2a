// /mutate computes the default patch alone (AdmissionEngine.defaultPatch), not decide's
// review: its answer must be exactly what decide's patch would give, for any object.
import fc from 'fast-check';
import t from 'tap';
import { decodeAdmissionReview } from '../../src/admission/review.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/core/engine.js';
import { mutateRequest, type AdmissionEngine } from '../../src/server/decisions.js';
import { defaultEngine } from '../../src/server/engine.js';
import { objectMutatedReview, realReviews } from '../fuzz/arbitraries.js';
import { stateView } from './helpers.js';

const view = stateView('state.yaml');
const decideOnly: AdmissionEngine = { decide: (input) => defaultEngine.decide(input) };

t.test('mutate with defaultPatch answers as mutate with decide, on real and mutated reviews', async (t) => {
  t.equal(typeof defaultEngine.defaultPatch, 'function', 'the real engine has defaultPatch');
  let patched = 0;
  let compared = 0;
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...realReviews()), objectMutatedReview(realReviews())), (review) => {
      const d = decodeAdmissionReview(review);
      if (!d.ok) return;
      const req = d.review.request;
      const fast = mutateRequest(req, { engine: defaultEngine, engineOptions: DEFAULT_ENGINE_OPTIONS, view });
      const full = mutateRequest(req, { engine: decideOnly, engineOptions: DEFAULT_ENGINE_OPTIONS, view });
      if (JSON.stringify(fast) !== JSON.stringify(full)) throw new Error(`differ: ${JSON.stringify(fast)} vs ${JSON.stringify(full)}`);
      compared++;
      if (fast.response.patch) patched++;
    }),
    { numRuns: 500, seed: 7 },
  );
  t.ok(compared > 400, `${compared} decodable reviews compared`);
  t.ok(patched > 50, `${patched} of them patched`);
});
