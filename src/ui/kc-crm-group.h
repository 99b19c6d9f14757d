/* kc-crm-group.h: the preferences for the CRM
 *
 * Two addresses, each an http(s) template with {number} (and {extension}),
 * or empty for none: where the CRM says who a number is (the lookup-url
 * key, as KERIO_LOOKUP_URL) and the page Open in CRM opens (crm-url, as
 * KERIO_CRM_URL). An address that is not one is refused, saying why.
 *
 * Signal "changed" (no arguments): a key was saved, so the application
 * should restart its engine. Like the window's rows, an address saves when
 * applied, when left, or by kc_crm_group_save() when the window closes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KC_TYPE_CRM_GROUP (kc_crm_group_get_type ())
G_DECLARE_FINAL_TYPE (KcCrmGroup, kc_crm_group, KC, CRM_GROUP, AdwPreferencesGroup)

/* settings: schema uz.kerio.Cti; NULL lets go of it */
void kc_crm_group_set_settings (KcCrmGroup *self,
                                GSettings  *settings);
/* Saves addresses typed and not applied yet */
void kc_crm_group_save         (KcCrmGroup *self);

G_END_DECLS
