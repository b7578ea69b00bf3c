/**
 * The files of a new releasable package, one function per ecosystem. Pure: names in, file
 * contents out. Every package carries the placeholders pack stamps in a temp copy (version
 * 0.0.0; Python `_build_info.py`, Go `sourceSHA = "unknown"`) and reports them through a
 * build-info function that `smoke` checks after installing the published version.
 */
export type SdkFiles = Record<string, string>;

export interface NpmSdk {
  packageName: string;
}
export interface PypiSdk {
  packageName: string; // distribution name, e.g. acme-sdk
  importName: string; // acme_sdk
}
export interface GoSdk {
  modulePath: string; // github.com/acme/acme-sdk-go
  goPackage: string; // acmesdk
}

const readme = (title: string, body: string) =>
  `# ${title}\n\nReleased by nx-ameide-release: the repository keeps the 0.0.0 placeholder; \`nx run <project>:pack\` stamps the\nversion computed from git into a temp copy.\n\n${body}\n`;

export function npmFiles({ packageName }: NpmSdk): SdkFiles {
  const pkg = {
    name: packageName,
    version: '0.0.0',
    description: `${packageName}: released with nx-ameide-release.`,
    license: 'MIT',
    main: './src/index.js',
    types: './src/index.d.ts',
    files: ['src'],
    engines: { node: '>=20' },
    scripts: { test: 'node --test' },
    ...(packageName.startsWith('@') ? { publishConfig: { access: 'public' } } : {}),
  };
  return {
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'src/index.js': [
      "'use strict';",
      '',
      "/** Which build is running: the version and git SHA that pack stamps into package.json (0.0.0 / unknown here). */",
      'function buildInfo() {',
      "  const pkg = require('../package.json');",
      "  return { name: pkg.name, version: pkg.version, gitSha: pkg.gitHead || 'unknown' };",
      '}',
      '',
      'module.exports = { buildInfo };',
      '',
    ].join('\n'),
    'src/index.d.ts': 'export interface BuildInfo {\n  name: string;\n  version: string;\n  gitSha: string;\n}\n\nexport function buildInfo(): BuildInfo;\n',
    'test/index.test.js': [
      "'use strict';",
      "const test = require('node:test');",
      "const assert = require('node:assert/strict');",
      "const { buildInfo } = require('../src/index.js');",
      '',
      "test('the workspace copy reports the 0.0.0 placeholder and no commit', () => {",
      `  assert.deepEqual(buildInfo(), { name: ${JSON.stringify(packageName)}, version: '0.0.0', gitSha: 'unknown' });`,
      '});',
      '',
    ].join('\n'),
    'README.md': readme(packageName, `\`\`\`js\nconst { buildInfo } = require('${packageName}');\nconsole.log(buildInfo()); // { name, version, gitSha }\n\`\`\``),
  };
}

export function pypiFiles({ packageName, importName }: PypiSdk): SdkFiles {
  return {
    'pyproject.toml': [
      '[build-system]',
      'requires = ["hatchling==1.33.0"]  # pinned: the wheel and sdist bytes depend on the backend version',
      'build-backend = "hatchling.build"',
      '',
      '[project]',
      `name = "${packageName}"`,
      'version = "0.0.0"',
      `description = "${packageName}: released with nx-ameide-release."`,
      'readme = "README.md"',
      'license = { text = "MIT" }',
      'requires-python = ">=3.9"',
      'dependencies = []',
      '',
      '[tool.hatch.build.targets.wheel]',
      `packages = ["src/${importName}"]`,
      '',
      '[tool.hatch.build.targets.sdist]',
      `include = ["src/${importName}", "tests", "README.md", "pyproject.toml"]`,
      '',
      '[tool.pytest.ini_options]',
      'pythonpath = ["src"]',
      'testpaths = ["tests"]',
      '',
    ].join('\n'),
    [`src/${importName}/__init__.py`]: [
      `"""${packageName}."""`,
      '',
      'from typing import Dict',
      '',
      'from . import _build_info',
      '',
      '__version__ = _build_info.VERSION',
      '',
      '',
      'def build_info() -> Dict[str, str]:',
      '    """Version and source git SHA, stamped at pack time ("0.0.0" / "unknown" in the workspace)."""',
      `    return {"name": "${packageName}", "version": _build_info.VERSION, "git_sha": _build_info.GIT_SHA}`,
      '',
      '',
      '__all__ = ["build_info", "__version__"]',
      '',
    ].join('\n'),
    [`src/${importName}/_build_info.py`]: '# Stamped by the release pack step in a temp copy; the workspace keeps these placeholders.\nVERSION = "0.0.0"\nGIT_SHA = "unknown"\n',
    [`src/${importName}/py.typed`]: '',
    [`tests/test_build_info.py`]: [
      `from ${importName} import __version__, build_info`,
      '',
      '',
      'def test_the_workspace_copy_reports_the_placeholders():',
      `    assert build_info() == {"name": "${packageName}", "version": "0.0.0", "git_sha": "unknown"}`,
      '    assert __version__ == "0.0.0"',
      '',
    ].join('\n'),
    'README.md': readme(packageName, `\`\`\`python\nfrom ${importName} import build_info\nprint(build_info())  # {"name", "version", "git_sha"}\n\`\`\``),
  };
}

export function goFiles({ modulePath, goPackage }: GoSdk): SdkFiles {
  return {
    'go.mod': `module ${modulePath}\n\ngo 1.22\n`,
    'buildinfo.go': [
      `// Package ${goPackage} is released with nx-ameide-release.`,
      `package ${goPackage}`,
      '',
      'import "runtime/debug"',
      '',
      "// ModulePath is this module's import path.",
      `const ModulePath = "${modulePath}"`,
      '',
      '// sourceSHA is rewritten by the release pack step to the monorepo commit the module was cut from.',
      'const sourceSHA = "unknown"',
      '',
      '// Info says which build of the module is running.',
      'type Info struct {',
      '\tModule    string',
      '\tVersion   string // the version a consumer depends on, e.g. v1.2.3; "(devel)" in the workspace',
      '\tSourceSHA string // monorepo git SHA of the release; "unknown" in the workspace',
      '}',
      '',
      '// BuildInfo reports the module version from the binary\'s build information and the stamped source SHA.',
      'func BuildInfo() Info {',
      '\tversion := "(devel)"',
      '\tif bi, ok := debug.ReadBuildInfo(); ok {',
      '\t\tfor _, dep := range bi.Deps {',
      '\t\t\tif dep.Path == ModulePath && dep.Version != "" {',
      '\t\t\t\tversion = dep.Version',
      '\t\t\t}',
      '\t\t}',
      '\t}',
      '\treturn Info{Module: ModulePath, Version: version, SourceSHA: sourceSHA}',
      '}',
      '',
    ].join('\n'),
    'buildinfo_test.go': [
      `package ${goPackage}`,
      '',
      'import "testing"',
      '',
      'func TestBuildInfoInTheWorkspace(t *testing.T) {',
      `\twant := Info{Module: "${modulePath}", Version: "(devel)", SourceSHA: "unknown"}`,
      '\tif got := BuildInfo(); got != want {',
      '\t\tt.Fatalf("BuildInfo() = %+v, want %+v", got, want)',
      '\t}',
      '}',
      '',
    ].join('\n'),
    'README.md': readme(modulePath, `\`\`\`go\nimport ${goPackage} "${modulePath}"\n\nfmt.Printf("%+v\\n", ${goPackage}.BuildInfo())\n\`\`\``),
  };
}
