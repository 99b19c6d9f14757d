/* kc-export-cli.h: `kerio-cti --export=FILE.csv [--since=DATE] [--until=DATE]`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes the history (with demo, the demo's) to PATH ("-": standard output)
 * as CSV (kc-export.h): the calls of the local days SINCE to UNTIL, both
 * included, each YYYY-MM-DD or NULL for no bound. Says on stderr how many
 * calls it wrote. The exit code: 0, 1 when the history cannot be read or
 * the file written, 2 for a date that is not one. */
int kc_export_cli_run (const char *path,
                       const char *since,
                       const char *until,
                       gboolean    demo);

G_END_DECLS
