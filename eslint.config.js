// Lint rules for the whole repository. Type-aware: every file belongs to one of the tsconfig projects.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import officeAddins from "eslint-plugin-office-addins";
import prettier from "eslint-config-prettier";
import globals from "globals";

export default tseslint.config(
  { ignores: ["dist/**", "coverage/**", "node_modules/**", "data/**", "*.config.js", "*.config.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ["scripts/*.mjs", "bin/*.mjs", "test/support/*.mjs", ".ci/*.mjs"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    files: ["src/entry/**", "bin/**", "scripts/**", "bench/**", "test/support/**", ".ci/**"],
    rules: { "no-console": "off" },
  },
  {
    files: ["src/adapters/officejs/**"],
    plugins: { "office-addins": officeAddins },
    rules: Object.fromEntries(
      officeAddins.configs.recommended
        .flatMap((config) => Object.entries(config.rules ?? {}))
        .filter(([name]) => name.startsWith("office-addins/")),
    ),
  },
  {
    files: ["**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
