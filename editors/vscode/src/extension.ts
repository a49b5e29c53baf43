// The archc extension's client: it starts `archc lsp` (the executable named
// by the `archc.path` setting) over stdio for every `.arch` document and
// restarts it when the setting changes or on the "Restart" command.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

function serverCommand(): string {
  const configured = vscode.workspace
    .getConfiguration("archc")
    .get<string>("path", "archc")
    .trim();
  return configured.length > 0 ? configured : "archc";
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = serverCommand();
  const serverOptions: ServerOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  output ??= vscode.window.createOutputChannel("archc");
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "arch" },
      { scheme: "untitled", language: "arch" },
    ],
    synchronize: {
      // The server reads archc.toml next to a design (severities,
      // assumptions, import roots) and imported files from disk: send it
      // workspace/didChangeWatchedFiles when one changes on disk. (Today's
      // server ignores them; the smoke test checks that they do no harm.)
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{archc.toml,*.arch}"),
    },
    outputChannel: output,
  };
  client = new LanguageClient("archc", "archc language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `archc: could not start \`${command} lsp\`: ${message}. ` +
        "Install archc (`cargo install --path .` in its checkout) or set `archc.path`.",
      "Open settings",
    );
    if (choice === "Open settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "archc.path");
    }
    client = undefined;
  }
  context.subscriptions.push({ dispose: () => void stop() });
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("archc.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("archc.path")) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
