/* fit_callbacks.h — fit's callbacks= argument: Keras's callback objects
 * (keras.callbacks: Callback and its builtin subclasses, builtins_callbacks.c)
 * driven through the runtime's nn_fit_hooks. model.fit (builtins_nn.c) opens
 * one per fit and closes it after nn_model_fit returns.
 *
 * Ownership: fit_callbacks_open returns a list the caller closes with
 * fit_callbacks_close (also after an error). A callback that raised leaves
 * its error pending in L: fit then returns that error (fit_callbacks_failed).
 */
#ifndef CGPU_FIT_CALLBACKS_H
#define CGPU_FIT_CALLBACKS_H
#include "builtins.h"
#include "nn/nn.h"

typedef struct fit_callbacks fit_callbacks;

/* From `callbacks` (a list or tuple of Callback instances; None or missing:
 * *out = NULL and no hooks). Calls set_model(model) and set_params(params)
 * on each, as Keras does, and fills *hooks (its batch hooks only when some
 * callback implements them). 0, or -1 raised (TypeError for a
 * non-callback). */
int  fit_callbacks_open(lang_state *L, lang_value callbacks, lang_value model, lang_value params,
                        fit_callbacks **out, nn_fit_hooks *hooks);
/* 1 when a callback raised during fit (the error is pending in L). */
int  fit_callbacks_failed(const fit_callbacks *cb);
/* Adds to `history` (dict key -> list) the keys callbacks put into each
 * epoch's logs (as Keras's History records them), stops any monitor
 * thread, and frees cb. NULL cb is fine. */
void fit_callbacks_close(lang_state *L, fit_callbacks *cb, lang_value history);

#endif
