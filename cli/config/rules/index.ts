import { withToolList, type RuleContext } from './context.js';
import { checkAssertionKeys } from './assertion-key-rules.js';
import { checkIdempotency } from './idempotency-rules.js';
import { checkIdentities } from './identity-rules.js';
import { checkLimits } from './limit-rules.js';
import { checkOAuthIntegrations } from './oauth-rules.js';
import { checkParameters } from './parameter-rules.js';
import { checkResultMappings } from './result-rules.js';
import { checkRuntimeSettings } from './runtime-rules.js';
import { checkEndpointLimits } from './endpoint-limit-rules.js';
import { checkScopes } from './scope-rules.js';
import { checkSecrets } from './secret-rules.js';
import { checkSignatureVersions } from './signature-rules.js';
import { checkTemplates } from './template-rules.js';
import { checkToolSchemas } from './tool-schema-rules.js';
import { checkUrls } from './url-rules.js';
import { checkUsageLimits } from './usage-limit-rules.js';

export type { RuleContext };

/** Runs every semantic rule; each reports through the context and never throws for user mistakes. */
export function runRules(context: RuleContext): void {
  // The rules only read the config, so they can share one list of its tools.
  const ctx = withToolList(context);
  checkIdentities(ctx);
  checkUrls(ctx);
  checkTemplates(ctx);
  checkParameters(ctx);
  checkSecrets(ctx);
  checkSignatureVersions(ctx);
  checkToolSchemas(ctx);
  checkAssertionKeys(ctx);
  checkScopes(ctx);
  checkOAuthIntegrations(ctx);
  checkRuntimeSettings(ctx);
  checkEndpointLimits(ctx);
  checkLimits(ctx);
  checkIdempotency(ctx);
  checkUsageLimits(ctx);
  checkResultMappings(ctx);
}
