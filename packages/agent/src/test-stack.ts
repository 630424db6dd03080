export { startTestStack, type TestStack } from '@ccsync/gateway/test-stack';
// The agent's binary and `ccsync push` as users run them live in the testkit, which drills share.
export { AGENT_BIN, type AgentPushOptions, type AgentPushResult, runAgentPush } from '@ccsync/testkit';
