/* raven-filter-chain.c: run the registered filters of one SMTP phase.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-filter-chain.h"

#include <string.h>

typedef struct {
	GArray *filters; /* RavenRegistration, borrowed from the registry */
	guint next;
	const RavenFilterContext *ctx;
	RavenFilterResult total;
	RavenFilterResult current;
	RavenFilterChainDone done;
	gpointer data;
} Chain;

static void chain_step(Chain *chain);

static void
chain_finish(Chain *chain)
{
	chain->done(&chain->total, chain->data);
	g_free(chain->total.reply_text);
	if (chain->total.symbols)
		g_ptr_array_unref(chain->total.symbols);
	g_free(chain);
}

static gboolean
chain_step_idle(gpointer data)
{
	chain_step(data);
	return G_SOURCE_REMOVE;
}

/* Take one filter's answer into the total. */
static void
filter_done(RavenFilterResult *result, gpointer data)
{
	Chain *chain = data;

	chain->total.score += result->score;
	if (result->symbols) {
		for (guint i = 0; i < result->symbols->len; i++)
			g_ptr_array_add(chain->total.symbols,
			                g_strdup(result->symbols->pdata[i]));
		g_clear_pointer(&result->symbols, g_ptr_array_unref);
	}
	if (result->verdict != RAVEN_VERDICT_PROCEED) {
		chain->total.verdict = result->verdict;
		chain->total.reply_code = result->reply_code;
		chain->total.reply_text = g_steal_pointer(&result->reply_text);
		chain->next = chain->filters->len; /* the chain ends here */
	}
	g_clear_pointer(&result->reply_text, g_free);
	/* A filter may answer at once: go on from the loop, not deeper. */
	g_idle_add(chain_step_idle, chain);
}

static gboolean
wants_phase(const RavenFilter *filter, RavenFilterPhase phase)
{
	return filter->check != NULL && (filter->phases & (1u << phase));
}

static void
chain_step(Chain *chain)
{
	while (chain->next < chain->filters->len) {
		RavenRegistration *r = &g_array_index(
			chain->filters, RavenRegistration, chain->next++);
		const RavenFilter *filter = r->vtable;

		if (!wants_phase(filter, chain->ctx->phase))
			continue;
		memset(&chain->current, 0, sizeof chain->current);
		chain->current.size = sizeof chain->current;
		filter->check(chain->ctx, &chain->current, filter_done, chain,
		              r->data);
		return;
	}
	chain_finish(chain);
}

void
raven_filter_chain_run(RavenRegistry *registry,
                       const RavenFilterContext *ctx,
                       RavenFilterChainDone done,
                       gpointer data)
{
	Chain *chain = g_new0(Chain, 1);

	chain->filters = raven_registry_list(registry, RAVEN_KIND_FILTER);
	chain->ctx = ctx;
	chain->done = done;
	chain->data = data;
	chain->total.size = sizeof chain->total;
	chain->total.symbols = g_ptr_array_new_with_free_func(g_free);
	g_idle_add(chain_step_idle, chain);
}
