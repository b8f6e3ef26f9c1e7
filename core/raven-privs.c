/* raven-privs.c: dropping root after the listeners are bound.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-privs.h"

#include <gio/gio.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

gboolean
raven_privs_lookup(const char *user,
                   const char *group,
                   uid_t *uid,
                   gid_t *gid,
                   GError **error)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
		            "server.user: no user '%s' on this system", user);
		return FALSE;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			g_set_error(
				error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
				"server.group: no group '%s' on this system",
				group);
			return FALSE;
		}
		*gid = gr->gr_gid;
	}
	return TRUE;
}

static gboolean
fail(GError **error, const char *what)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
	            "cannot drop privileges: %s: %s", what, g_strerror(errno));
	return FALSE;
}

gboolean
raven_privs_drop(uid_t uid, gid_t gid, GError **error)
{
	if (setgroups(1, &gid) != 0)
		return fail(error, "setgroups");
	if (setgid(gid) != 0)
		return fail(error, "setgid");
	if (setuid(uid) != 0)
		return fail(error, "setuid");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(error, "no-new-privs");
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		return fail(error, "root could be regained");
	}
	return TRUE;
}
