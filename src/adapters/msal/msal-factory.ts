/** The real MSAL factories: the only module that loads @azure/msal-browser's application code. */
import {
  createNestablePublicClientApplication,
  createStandardPublicClientApplication,
} from "@azure/msal-browser";
import type { MsalFactory } from "./msal-sign-in";

export const MSAL_FACTORY: MsalFactory = {
  nestable: (configuration) => createNestablePublicClientApplication(configuration),
  standard: (configuration) => createStandardPublicClientApplication(configuration),
};
