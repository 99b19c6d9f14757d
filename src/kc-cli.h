/* kc-cli.h: what the modes without a window (--headless, --probe, …) share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "core/kc-config.h"
#include "sim/kc-sim-server.h"

G_BEGIN_DECLS

/* Exit codes of kerio-cti: 0 done, 1 the task failed, 2 bad usage or
 * configuration */
#define KC_EXIT_USAGE 2

/* A failure that ends the command, in the operator's language, on stderr */
void      kc_cli_say_error (const char *format,
                            ...) G_GNUC_PRINTF (1, 2);

/* Sends the log to stderr (stdout is the mode's own output) and loads the
 * configuration: with demo, pointed at the built-in simulator, started into
 * *sim; else one that names a PBX and a user, its passwords' warnings said.
 * NULL, the reason said and *exit_status set, when the mode cannot start. */
KcConfig *kc_cli_start     (gboolean      demo,
                            KcSimServer **sim,
                            int          *exit_status);

/* A day given as exactly YYYY-MM-DD, one that exists (--stats, --since,
 * --until); FALSE for anything else */
gboolean  kc_cli_parse_day (const char *text,
                            GDate      *day);

G_END_DECLS
