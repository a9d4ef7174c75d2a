// OpenTelemetry tracing behind a flag (EGCFG_OTEL=1): spans for every workflow run, activity start and activity
// execution (@temporalio/interceptors-opentelemetry), with the trace context carried through Temporal headers, so a
// campaign started by the CLI or API is one trace across processes. Spans go to an OTLP/HTTP endpoint when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, else to the console (JSON lines on stderr).
// Off by default: no interceptors, no exporter, no cost.
import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

const require = createRequire(import.meta.url);

export const otelEnabled = (env: NodeJS.ProcessEnv = process.env): boolean => /^(1|true|yes|on)$/i.test(env.EGCFG_OTEL ?? '');

/** The module the workflow bundle must include for workflow spans. */
export const otelWorkflowInterceptorModule = (): string =>
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface Tracing {
  processor: SpanProcessor;
  resource: Resource;
  activityInterceptors: ActivityInterceptorsFactory;
  sinks: ReturnType<typeof sinksFor>;
  shutdown(): Promise<void>;
}

function sinksFor(processor: SpanProcessor, resource: Resource) {
  return { exporter: makeWorkflowExporter(processor, resource) };
}

/** Spans as JSON lines on stderr (stdout stays the commands' own: `egcfg run` ends with its summary line). */
export class StderrSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    for (const s of spans) {
      const ctx = s.spanContext();
      process.stderr.write(`${JSON.stringify({
        span: s.name, traceId: ctx.traceId, spanId: ctx.spanId, parentSpanId: s.parentSpanId,
        service: s.resource.attributes['service.name'], durationMs: s.duration[0] * 1e3 + s.duration[1] / 1e6,
        status: s.status.code, attributes: s.attributes,
      })}\n`);
    }
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** The default span processor: OTLP/HTTP if an endpoint is configured, else the console. */
export function defaultSpanProcessor(env: NodeJS.ProcessEnv = process.env): { processor: SpanProcessor; target: string } {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined);
  if (endpoint) return { processor: new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint })), target: `OTLP ${endpoint}` };
  return { processor: new SimpleSpanProcessor(new StderrSpanExporter()), target: 'console (stderr)' };
}

let provider: BasicTracerProvider | undefined;

/** Set up tracing for this process (once): a global tracer provider and what the worker needs. */
export function setupTracing(opts: { serviceName: string; processor?: SpanProcessor }): Tracing {
  const processor = opts.processor ?? defaultSpanProcessor().processor;
  const resource = new Resource({ 'service.name': opts.serviceName });
  if (!provider) {
    provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
    trace.setGlobalTracerProvider(provider);
    // The active span follows async calls (so the client's start span is the parent the headers carry).
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    // The trace context travels in Temporal headers as W3C traceparent: without a propagator nothing would link.
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  }
  return {
    processor, resource,
    activityInterceptors: (ctx) => ({
      inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
      outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
    }),
    sinks: sinksFor(processor, resource),
    async shutdown() { await processor.forceFlush(); },
  };
}

/** The client interceptor that starts a trace when a campaign workflow is started (CLI, API). */
export const otelClientInterceptors = () => ({ workflow: [new OpenTelemetryWorkflowClientInterceptor()] });
