// fuzz-dict: oci.dict
/* libFuzzer target: the runtime-spec documents (config, process, state,
 * container process state, features).  */
#include "document-fuzzer.h"

FUZZ_DOCUMENT (config, oci_config)
FUZZ_DOCUMENT (process, oci_process)
FUZZ_DOCUMENT (state, oci_state)
FUZZ_DOCUMENT (container_process_state, oci_container_process_state)
FUZZ_DOCUMENT (features, oci_features)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  fuzz_config (text, size);
  fuzz_process (text, size);
  fuzz_state (text, size);
  fuzz_container_process_state (text, size);
  fuzz_features (text, size);
  return 0;
}
