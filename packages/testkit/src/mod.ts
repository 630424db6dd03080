export type { AgentPushOptions, AgentPushResult } from './agent-process.ts';
export { AGENT_BIN, runAgentPush } from './agent-process.ts';
export { CCUSAGE_ORACLE_VERSION, ccusageBinary, ccusageJson } from './ccusage-oracle.ts';
export { usageEntry } from './fixtures.ts';
export type { Infra, InfraSource } from './infra.ts';
export { startInfra } from './infra.ts';
export type { LocalServer, LocalServerOptions } from './local-servers.ts';
export {
  freePort,
  MissingServerBinaryError,
  portAnswers,
  spawnNatsServer,
  spawnRedisServer,
} from './local-servers.ts';
export { COST_TOLERANCE, expectSameReport, reportDifferences } from './same-report.ts';
export type { ServiceName, ServiceProcess } from './service-process.ts';
export { startServiceProcess } from './service-process.ts';
export type { TestNamespace } from './test-namespace.ts';
export { dropNamespace, useTestNamespace } from './test-namespace.ts';
export type { CorpusDevice, CorpusFile, TranscriptCorpus, TranscriptCorpusOptions } from './transcript-corpus.ts';
export { generateTranscriptCorpus, writeTranscriptCorpus } from './transcript-corpus.ts';
export type { WaitForOptions } from './wait-for.ts';
export { waitFor } from './wait-for.ts';
export { waitForProjection } from './wait-for-projection.ts';
export type { TestSocket } from './ws-client.ts';
export { openTestSocket, upgradeStatus } from './ws-client.ts';
