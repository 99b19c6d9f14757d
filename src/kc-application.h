/* kc-application.h: the desktop application, uz.kerio.Cti
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "kc-gui-module.h"

G_BEGIN_DECLS

#define KC_TYPE_APPLICATION (kc_application_get_type ())
G_DECLARE_FINAL_TYPE (KcApplication, kc_application, KC, APPLICATION, AdwApplication)

/* demo: run against the built-in simulator instead of the configured PBX */
KcApplication *kc_application_new (gboolean demo);

G_END_DECLS
