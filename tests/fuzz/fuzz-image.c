// fuzz-dict: oci.dict
/* libFuzzer target: the image-spec documents (index, manifest, image
 * config, descriptor, oci-layout).  */
#include "document-fuzzer.h"

FUZZ_DOCUMENT (image_index, oci_image_index)
FUZZ_DOCUMENT (image_manifest, oci_image_manifest)
FUZZ_DOCUMENT (image_config, oci_image_config)
FUZZ_DOCUMENT (image_descriptor, oci_image_descriptor)
FUZZ_DOCUMENT (image_layout, oci_image_layout)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  fuzz_image_index (text, size);
  fuzz_image_manifest (text, size);
  fuzz_image_config (text, size);
  fuzz_image_descriptor (text, size);
  fuzz_image_layout (text, size);
  return 0;
}
