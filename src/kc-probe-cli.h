/* kc-probe-cli.h: `kerio-cti --probe`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Probes the configured PBX (with demo, the built-in simulator) and prints
 * the report on stdout. The exit code: 0 when live calls and the history
 * both work, 1 otherwise, 2 for bad settings. */
int kc_probe_cli_run (gboolean demo);

G_END_DECLS
