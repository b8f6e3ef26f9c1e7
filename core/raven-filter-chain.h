/* raven-filter-chain.h: run the registered filters of one SMTP phase.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_FILTER_CHAIN_H
#define RAVEN_FILTER_CHAIN_H

#include "raven-registry.h"

G_BEGIN_DECLS

/* Run the filters of `registry` that want ctx->phase, one after another in
 * config order, until one answers other than PROCEED (ACCEPT ends the chain
 * too).  `done` gets the verdict, the reply the filter chose and the summed
 * score and symbols; it is called later on the main loop, never from inside
 * this function.  `ctx` must stay valid until then. */
void raven_filter_chain_run(RavenRegistry *registry,
                            const RavenFilterContext *ctx,
                            RavenFilterChainDone done,
                            gpointer data);

G_END_DECLS

#endif /* RAVEN_FILTER_CHAIN_H */
