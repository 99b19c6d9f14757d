/* kc-player-bar.h: plays the recording of a call from the history
 *
 * Fetches the recording from the PBX the first time and plays it from the
 * cache afterwards; shows the download, the position and any problem in
 * words inside the bar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "core/kc-engine.h"
#include "core/kc-player.h"

G_BEGIN_DECLS

#define KC_TYPE_PLAYER_BAR (kc_player_bar_get_type ())
G_DECLARE_FINAL_TYPE (KcPlayerBar, kc_player_bar, KC, PLAYER_BAR, GtkWidget)

KcPlayerBar *kc_player_bar_new        (void);
void         kc_player_bar_set_engine (KcPlayerBar *self,
                                       KcEngine    *engine);
/* Plays the recording of that history call: from the cache file when the
 * store knows one that still exists; else downloads it into
 * $XDG_CACHE_HOME/kerio-cti/recordings (showing the progress), remembers
 * the file in the store and plays it. */
void         kc_player_bar_play_call  (KcPlayerBar *self,
                                       const char  *call_id);
KcPlayer    *kc_player_bar_get_player (KcPlayerBar *self);

G_END_DECLS
