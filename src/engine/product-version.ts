/**
 * The add-in's product version (SPEC §11): what a customization package's `products` range must contain. It is
 * the `<Version>` of manifest.xml (a test keeps the two equal); the simulator can run a client as another version.
 */
export const ADDIN_VERSION = "1.0.0.0";
