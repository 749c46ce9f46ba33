/** The add-in's id in manifest.xml; custom properties and roaming settings are keyed by it. DOM-free, so Node code can read it. */
export const ADDIN_ID = "b14f98d2-d90c-49f9-890e-d2150bf5b660";
