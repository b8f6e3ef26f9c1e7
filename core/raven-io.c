/* raven-io.c: small file helpers the core's modules share.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-io.h"

#include <errno.h>
#include <sodium.h>
#include <unistd.h>

gboolean
raven_write_all(int fd, const void *data, gsize len)
{
	const guint8 *p = data;

	while (len > 0) {
		gssize n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		p += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static gpointer
sodium_start(gpointer unused)
{
	if (sodium_init() < 0)
		g_error("libsodium cannot start");
	return NULL;
}

void
raven_sodium_init(void)
{
	static GOnce once = G_ONCE_INIT;

	g_once(&once, sodium_start, NULL);
}
