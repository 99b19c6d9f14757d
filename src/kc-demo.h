/* kc-demo.h: --demo, the built-in simulator in place of a PBX
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "core/kc-config.h"
#include "sim/kc-sim-server.h"

G_BEGIN_DECLS

/* Starts the simulator on a free loopback port with a week of history and
 * live traffic, and points `config` at it and at its CRM. */
KcSimServer *kc_demo_start      (KcConfig  *config,
                                 GError   **error);
/* Demo calls never mix with a real history: demo.db beside calls.db */
char        *kc_demo_store_path (void);

G_END_DECLS
