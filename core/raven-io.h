/* raven-io.h: small file helpers the core's modules share.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_IO_H
#define RAVEN_IO_H

#include <glib.h>

G_BEGIN_DECLS

/* write() all of `data`, going on after short writes and EINTR.  FALSE with
 * errno set on failure. */
gboolean raven_write_all(int fd, const void *data, gsize len);

/* sodium_init() once per process, from any thread. */
void raven_sodium_init(void);

G_END_DECLS

#endif /* RAVEN_IO_H */
