/* kc-events-group.h: the preference for events to web pages
 *
 * A switch, off by default, and the address the event server listens on
 * (127.0.0.1:8765 when switched on), saved in the events-listen key ("" is
 * off). An address other computers could reach is refused unless
 * KERIO_EVENTS_TOKEN is set, as the configuration refuses it.
 *
 * Signal "changed" (no arguments): the events-listen key was saved, so the
 * application should restart its engine and the event server with it.
 * Like the window's rows, the address saves when applied, when left, or by
 * kc_events_group_save() when the window closes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KC_EVENTS_GROUP_DEFAULT_ADDRESS "127.0.0.1:8765"

#define KC_TYPE_EVENTS_GROUP (kc_events_group_get_type ())
G_DECLARE_FINAL_TYPE (KcEventsGroup, kc_events_group, KC, EVENTS_GROUP, AdwPreferencesGroup)

/* settings: schema uz.kerio.Cti; NULL lets go of it */
void kc_events_group_set_settings (KcEventsGroup *self,
                                   GSettings     *settings);
/* Saves an address typed and not applied yet */
void kc_events_group_save         (KcEventsGroup *self);

G_END_DECLS
