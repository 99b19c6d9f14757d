/* kc-stats-cli.h: `kerio-cti --headless --stats[=YYYY-MM-DD]`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The GOptionArgFunc of --stats, whose date is optional: remembers it */
gboolean kc_stats_cli_option    (const char  *option_name,
                                 const char  *value,
                                 gpointer     data,
                                 GError     **error);
/* Whether --stats was given */
gboolean kc_stats_cli_requested (void);

/* Prints the figures of the day --stats named (today, the local day, when
 * none) from the history on this computer (with demo, the demo's), as one
 * JSON object on stdout; the PBX is not asked. The exit code: 0, 1 when the
 * history cannot be read, 2 for a bad date or bad settings. */
int      kc_stats_cli_run       (gboolean     demo);

G_END_DECLS
