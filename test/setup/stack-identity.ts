// Each test process talks to the stack's Kafka as its admin identity (a super user), so tests that
// spread process.env into a runner's environment authenticate without saying so. Tests of ACLs use
// the per-processor identities themselves; tests on a private PLAINTEXT broker drop these variables
// (helpers.withoutStackIdentity).
import { layoutFor, stackKafkaSasl } from '../../stack/services.js';
import { ROOT } from '../helpers.js';

const sasl = stackKafkaSasl(layoutFor(ROOT));
if (sasl && process.env.KAFKA_SASL_USERNAME === undefined) {
  process.env.KAFKA_SASL_USERNAME = sasl.username;
  process.env.KAFKA_SASL_PASSWORD = sasl.password;
}
