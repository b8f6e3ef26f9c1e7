/* ravenctl.h: the admin command's subcommands, one file each.
 * SPDX-License-Identifier: MIT
 *
 * Each returns the process exit code: 0, or 1 after printing the problem to
 * stderr.  argv[0] is the subcommand's first word ("add", "list" ...).
 */
#ifndef RAVENCTL_H
#define RAVENCTL_H

#include "raven-users.h"

/* ravenctl user add|passwd|del|list|quota ... */
int ravenctl_user_main(RavenUserDb *db, int argc, char **argv);

#endif /* RAVENCTL_H */
