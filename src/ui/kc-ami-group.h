/* kc-ami-group.h: the preference for instant pop-ups over AMI
 *
 * A switch, off by default; on, the AMI's address (host, host:port or pbx,
 * as KERIO_AMI; "pbx" when switched on with nothing typed) saved in the
 * ami-host key ("" is off), the AMI user name in ami-username (empty: the
 * API user name, shown as the row's placeholder), the AMI password in the
 * keyring under its own key (kc_secret_ami_server()), and a "Test" that
 * logs in to the AMI with the values as typed.
 *
 * Signal "changed" (no arguments): a key was saved or the AMI password
 * stored, so the application should restart its engine. Like the window's
 * rows, an edit saves when applied, when its row is left, or by
 * kc_ami_group_save() when the window closes. A password given to the
 * keyring keeps the window alive until the keyring has answered, so that
 * "changed" still reaches it after it was closed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KC_AMI_GROUP_DEFAULT_ADDRESS "pbx"

#define KC_TYPE_AMI_GROUP (kc_ami_group_get_type ())
G_DECLARE_FINAL_TYPE (KcAmiGroup, kc_ami_group, KC, AMI_GROUP, AdwPreferencesGroup)

/* settings: schema uz.kerio.Cti; NULL lets go of it */
void kc_ami_group_set_settings (KcAmiGroup *self,
                                GSettings  *settings);
/* Saves what is typed and not applied yet */
void kc_ami_group_save         (KcAmiGroup *self);

G_END_DECLS
