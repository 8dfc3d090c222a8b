// The custom search attributes of a run (spec section 13): one list for the server, the client and the workflow.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The pipeline's name, as `orc list --pipeline` and `OrcPipeline='x'` queries match it. */
export const OrcPipeline = defineSearchAttributeKey('OrcPipeline', SearchAttributeType.KEYWORD);
/** The run's status (`running`, `completed`, `failed`, ...), kept up to date as the run moves. */
export const OrcStatus = defineSearchAttributeKey('OrcStatus', SearchAttributeType.KEYWORD);
/** What the run has cost so far, in US dollars. */
export const OrcCostUsd = defineSearchAttributeKey('OrcCostUsd', SearchAttributeType.DOUBLE);
/** Input plus output tokens the run has used so far. */
export const OrcTokens = defineSearchAttributeKey('OrcTokens', SearchAttributeType.INT);

export const ORC_SEARCH_ATTRIBUTES = [OrcPipeline, OrcStatus, OrcCostUsd, OrcTokens] as const;

/** `Name=Type` as `temporal server start-dev --search-attribute` and `temporal operator search-attribute create` spell types. */
export function searchAttributeFlag(key: (typeof ORC_SEARCH_ATTRIBUTES)[number]): string {
  const type = { KEYWORD: 'Keyword', DOUBLE: 'Double', INT: 'Int' }[key.type as 'KEYWORD' | 'DOUBLE' | 'INT'];
  return `${key.name}=${type}`;
}
