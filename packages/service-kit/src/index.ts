// @assay/service-kit: a service's lifecycle around its definition — configuration, logger,
// metrics, /healthz, /readyz and /metrics, the bus connection, graceful shutdown.
export {
  type CheckResult,
  type CheckStatus,
  Readiness,
  type ReadinessCheck,
  type ReadinessFlag,
  type ReadinessReport,
} from './readiness.ts';
export { healthPlugin, type HealthPluginOptions, healthSchema, readySchema } from './health.ts';
export {
  type CreateServiceOptions,
  type ReadinessNeeds,
  type RoutesContext,
  type ServiceBasics,
  type ServiceConfig,
  serviceConfigSpec,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceHandle,
  type ServiceState,
} from './definition.ts';
export { createService } from './service.ts';
export { EXIT_CONFIG, EXIT_FAILURE, runService, type RunServiceOptions, usage } from './run.ts';
export {
  type DeploymentStoreGate,
  requireDeploymentStore,
  type RequireDeploymentStoreOptions,
  STORE_IDENTITY_CHECK,
} from './store-identity.ts';
export { addStoreReadiness, type PingableStore } from './store-readiness.ts';
