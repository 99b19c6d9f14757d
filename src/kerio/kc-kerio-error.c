/* kc-kerio-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "kc-kerio-error.h"

G_DEFINE_QUARK (kc-kerio-error-quark, kc_kerio_error)
