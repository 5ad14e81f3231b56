// End-to-end checks in the real JupyterLab 4 UI, driven in headless Chromium by playwright-core.
//
// usage: node e2e.js <spec.json>          run the scenarios
//        node e2e.js <spec.json> --list   print the checks they would report, one a line
//
// The spec names the server and the scenarios to run:
//   { "base": "http://127.0.0.1:PORT", "token": "...", "chromium": "/usr/bin/chromium",
//     "scenarios": [
//       { "type": "notebook", "name": "celsius", "path": "celsius.ipynb", "kernel": "C-GPU",
//         "shot": "out/celsius.png", "timeout": 300,
//         "expectOutput": "answer 42",            // optional: text some output must contain
//         "predict": { "cell": "predict", "min": 210, "max": 214 },  // optional
//         "svg": true },                          // optional: an image/svg+xml output must render
//       { "type": "launcher", "name": "launcher", "kernel": "C-GPU", "spec": "cgpu",
//         "shot": "out/launcher.png" } ] }
//
// Every check prints exactly one line, "PASS <name>", "FAIL <name>: <why>"; a scenario that
// stops early still prints its remaining checks as FAIL ("not reached"), so the number of
// checks does not depend on where a run broke. tests/e2e/suite.sh counts these lines.
// Exit status: 0 when every check passed, 1 otherwise.
const fs = require('fs');
const os = require('os');
const path = require('path');

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1) + 's';
let failures = 0;

// A scenario's checks, declared up front so each is reported exactly once.
class Checks {
  constructor(prefix, names) {
    this.prefix = prefix;
    this.failed = 0;
    this.pending = names.slice();
  }
  pass(name, detail) {
    this.take(name);
    console.log(`PASS ${this.prefix}: ${name}${detail ? ' (' + detail + ')' : ''}`);
  }
  fail(name, why) {
    this.take(name);
    this.failed++;
    failures++;
    console.log(`FAIL ${this.prefix}: ${name}: ${why}`);
  }
  check(name, ok, detail, why) {
    if (ok) this.pass(name, detail);
    else this.fail(name, why);
    return ok;
  }
  take(name) {
    const i = this.pending.indexOf(name);
    if (i < 0) throw new Error(`internal: check '${name}' reported twice or undeclared`);
    this.pending.splice(i, 1);
  }
  // Report every check not reached yet as failed, naming what stopped the scenario.
  abandon(why) {
    for (const name of this.pending.slice()) this.fail(name, `not reached: ${why}`);
  }
}

// Server-side and browser-side trouble seen while a page was open: printed on failure.
function watch(page) {
  const problems = [];
  page.on('console', m => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', e => problems.push('pageerror: ' + e.message));
  page.on('response', r => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  return problems;
}

// Resolves once the current notebook's kernel is connected, named `name`, idle, and has stayed so
// for a second (ipykernel, for one, goes busy again right after its first idle).
function waitSettled(page, name, timeout) {
  const nonce = String(Math.random());
  return page.waitForFunction(([name, nonce]) => {
    const sc = window.jupyterapp.shell.currentWidget.sessionContext;
    const k = sc.session && sc.session.kernel;
    const idle = !!k && k.connectionStatus === 'connected' && k.status === 'idle' &&
                 sc.kernelDisplayName === name;
    const key = (k ? k.id : '') + nonce;
    if (!idle) { window.__e2eIdleSince = null; return false; }
    if (!window.__e2eIdleSince || window.__e2eIdleSince.key !== key) {
      window.__e2eIdleSince = { key, t: Date.now() };
    }
    return Date.now() - window.__e2eIdleSince.t >= 1000;
  }, [name, nonce], { timeout, polling: 100 });
}

async function openLab(page, urlPath) {
  // A fresh, uniquely named workspace per page, so UI state restored from an earlier run
  // (other open documents, dialogs) cannot interfere.
  const ws = `e2e-${process.pid}-${Date.now()}`;
  await page.goto(`${spec.base}/lab/workspaces/${ws}${urlPath}?reset&token=${spec.token}`);
  await page.waitForSelector('body[data-jlab-restored="true"]', { state: 'attached', timeout: 90000 });
}

const NOTEBOOK_CHECKS = (sc) => [
  'notebook opens in JupyterLab',
  `kernel '${sc.kernel}' selected and idle`,
  'Run All executes every code cell',
  'no error output',
  ...(sc.expectOutput ? [`output contains '${sc.expectOutput}'`] : []),
  ...(sc.predict ? [`prediction in [${sc.predict.min}, ${sc.predict.max}]`] : []),
  ...(sc.svg ? ['plot rendered as an SVG image'] : []),
  'kernel idle after Run All'
];
const LAUNCHER_CHECKS = (sc) => ['launcher opens', `'${sc.kernel}' card in the Notebook section`,
                                 `'${sc.kernel}' card shows the kernelspec logo`];
const checksOf = sc => (sc.type === 'notebook' ? NOTEBOOK_CHECKS : LAUNCHER_CHECKS)(sc);

async function notebookScenario(ctx, sc) {
  const c = new Checks(sc.name, NOTEBOOK_CHECKS(sc));
  const page = await ctx.newPage();
  const problems = watch(page);
  const kernelName = sc.kernel;
  const kernelState = () => page.evaluate(() => {
    const sc = window.jupyterapp.shell.currentWidget.sessionContext;
    const k = sc.session && sc.session.kernel;
    return k ? { id: k.id, status: k.status, conn: k.connectionStatus, name: sc.kernelDisplayName }
             : null;
  });
  let step = 'opening the notebook';
  try {
    await openLab(page, `/tree/${sc.path}`);
    const panel = page.locator('.jp-NotebookPanel:visible');
    await panel.waitFor({ timeout: 30000 });
    await page.waitForFunction(p => {
      const w = window.jupyterapp.shell.currentWidget;
      return !!w && !!w.context && w.context.path === p && w.context.isReady;
    }, sc.path, { timeout: 30000 });
    c.pass('notebook opens in JupyterLab', secs());
    step = 'waiting for the kernel to start (or the Select Kernel dialog)';

    // The kernel: either JupyterLab starts the one named in the notebook's metadata, or it asks
    // with a "Select Kernel" dialog (kernelspec missing or unknown): choose ours there.
    // If it started a different kernel, switch with Kernel > Change Kernel… as a person would.
    const waitKernel = prevId => page.waitForFunction(([prev, name]) => {
      const sc = window.jupyterapp.shell.currentWidget.sessionContext;
      const k = sc.session && sc.session.kernel;
      return !!k && k.id !== prev && k.connectionStatus === 'connected' && k.status === 'idle' &&
             sc.kernelDisplayName === name;
    }, [prevId, kernelName], { timeout: 60000 });
    const pickInDialog = async () => {
      const dialog = page.locator('.jp-Dialog');
      const labels = await dialog.locator('select option').allTextContents();
      if (!labels.includes(kernelName)) {
        throw new Error(`'${kernelName}' is not offered in the kernel dialog (offered: ${labels.join(', ')})`);
      }
      await dialog.locator('select').selectOption({ label: kernelName });
      await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
      await dialog.waitFor({ state: 'detached' });
    };
    await page.waitForFunction(() => {
      if (document.querySelector('.jp-Dialog select')) return true;
      const sc = window.jupyterapp.shell.currentWidget.sessionContext;
      const k = sc.session && sc.session.kernel;
      return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
    }, null, { timeout: 60000 });
    let how;
    step = 'choosing the kernel';
    if (await page.locator('.jp-Dialog select').count()) {
      await pickInDialog();
      await waitKernel(null);
      how = 'chosen in the Select Kernel dialog';
    } else if ((await kernelState()).name !== kernelName) {
      const before = (await kernelState()).id;
      await page.click('.lm-MenuBar-itemLabel:text-is("Kernel")');
      await page.click('.lm-Menu-itemLabel:text("Change Kernel")');
      await page.locator('.jp-Dialog select').waitFor();
      await pickInDialog();
      await waitKernel(before);
      how = 'switched with Kernel > Change Kernel';
    } else {
      how = 'started from the notebook metadata';
    }
    // Kernels are briefly busy after start (kernel_info, comm and debug requests): wait until
    // the kernel has stayed idle for a second.
    await waitSettled(page, kernelName, 60000).catch(() => {});
    const ks = await kernelState();
    if (!c.check(`kernel '${kernelName}' selected and idle`,
                 ks && ks.name === kernelName && ks.status === 'idle', `${how}, ${secs()}`,
                 `kernel is ${JSON.stringify(ks)}`)) {
      throw new Error('no kernel');
    }

    // Run > Run All Cells through the menu bar. JupyterLab marks every queued cell "[*]" at once;
    // done means: nothing queued any more, the kernel idle, and either every code cell has an
    // execution count or an error stopped the run (the rest then show "[ ]").
    step = 'Run > Run All Cells';
    await page.click('.lm-MenuBar-itemLabel:text-is("Run")');
    await page.click('.lm-Menu-itemLabel:text-is("Run All Cells")');
    const nCode = await panel.locator('.jp-CodeCell').count();
    step = `waiting for Run All to finish (limit ${sc.timeout || 300}s)`;
    const timeout = (sc.timeout || 300) * 1000;
    await page.waitForFunction(n => {
      const w = window.jupyterapp.shell.currentWidget;
      const code = w.content.widgets.filter(x => x.model.type === 'code');
      const prompts = code.map(x => x.node.querySelector('.jp-InputPrompt').textContent);
      if (prompts.length !== n || prompts.some(p => p.includes('*'))) return false;
      const k = w.sessionContext.session && w.sessionContext.session.kernel;
      if (!k || k.status !== 'idle') return false;
      const errored = code.some(x => x.model.outputs.toJSON().some(o => o.output_type === 'error'));
      return errored || prompts.every(p => /\[\d+\]/.test(p));
    }, nCode, { timeout, polling: 250 });
    step = 'reading the outputs';
    const cells = await page.evaluate(() => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      return nb.widgets.filter(w => w.model.type === 'code').map(w => {
        const outs = w.model.outputs.toJSON();
        const err = outs.find(o => o.output_type === 'error');
        return {
          source: w.model.sharedModel.getSource(),
          prompt: w.node.querySelector('.jp-InputPrompt').textContent.trim(),
          output: [...w.node.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText.trim()).join('\n'),
          mimes: [...w.node.querySelectorAll('.jp-OutputArea-output')].map(o => o.dataset.mimeType),
          error: err ? `${err.ename}: ${err.evalue}` : null
        };
      });
    });
    const ran = cells.filter(x => /\[\d+\]/.test(x.prompt)).length;
    c.check('Run All executes every code cell', ran === cells.length, `${ran} cells, ${secs()}`,
            `${ran} of ${cells.length} code cells ran`);
    const bad = cells.map((x, i) => ({ ...x, i })).filter(x => x.error);
    c.check('no error output', bad.length === 0, null,
            bad.map(x => `code cell ${x.i + 1} ${x.prompt} \`${firstLine(x.source)}\`: ${clip(x.error)}`).join('; '));
    if (sc.expectOutput) {
      c.check(`output contains '${sc.expectOutput}'`, cells.some(x => x.output.includes(sc.expectOutput)),
              null, 'not found in any output');
    }
    if (sc.predict) {
      // Any code cell whose source mentions the predict call; one of them must print a number
      // in the expected range.
      const p = sc.predict;
      const cands = cells.filter(x => x.source.includes(p.cell));
      let hit;
      for (const x of cands) {
        const nums = (x.output.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi) || []).map(Number);
        const v = nums.find(v => v >= p.min && v <= p.max);
        if (v !== undefined) { hit = { v, x }; break; }
      }
      c.check(`prediction in [${p.min}, ${p.max}]`, !!hit, hit && `${hit.v} in the output of \`${firstLine(hit.x.source)}\``,
              cands.length ? cands.map(x => `output of \`${firstLine(x.source)}\` is '${clip(x.output)}'`).join('; ')
                           : `no code cell contains '${p.cell}'`);
    }
    if (sc.svg) {
      // JupyterLab renders image/svg+xml as an <img> with a data: URL; it must have decoded.
      const svg = await page.evaluate(() => {
        const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
        return [...nb.querySelectorAll('.jp-OutputArea-output[data-mime-type="image/svg+xml"]')].map(o => {
          const img = o.querySelector('img');
          const box = o.getBoundingClientRect();
          return { img: !!img, w: img ? img.naturalWidth : 0, h: img ? img.naturalHeight : 0,
                   shown: box.width > 0 && box.height > 0 };
        });
      });
      const good = svg.find(s => s.img && s.w > 0 && s.h > 0 && s.shown);
      c.check('plot rendered as an SVG image', !!good, good && `${good.w}x${good.h}`,
              svg.length ? `SVG output did not render: ${JSON.stringify(svg)}` : 'no image/svg+xml output');
      if (good) {
        // For the screenshot: the plot's cell at the top, the prediction below it.
        await page.evaluate(() => {
          const o = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type="image/svg+xml"]');
          o.closest('.jp-Cell').scrollIntoView({ block: 'start' });
        }).catch(() => {});
      }
    }
    if (bad.length) {
      // For the screenshot: the first failing cell in the middle of the view.
      await page.evaluate(i => {
        const nb = window.jupyterapp.shell.currentWidget.content;
        const code = nb.widgets.filter(w => w.model.type === 'code');
        code[i].node.scrollIntoView({ block: 'center' });
      }, bad[0].i).catch(() => {});
    }
    const settled = await waitSettled(page, kernelName, 30000).then(() => true, () => false);
    const end = await kernelState();
    const indicator = await page.locator('.jp-Notebook-ExecutionIndicator').first().getAttribute('data-status').catch(() => null);
    c.check('kernel idle after Run All', settled && end && end.status === 'idle' && end.conn === 'connected',
            `status bar says ${indicator}`, `kernel is ${JSON.stringify(end)}, status bar says ${indicator}`);
    if (c.failed) printCells(cells);
  } catch (e) {
    // Name the kernel's state too: a timeout alone does not say whether it died or hangs.
    const ks = await kernelState().catch(() => null);
    c.abandon(`${step}: ${firstLine(e.message)}; kernel: ${JSON.stringify(ks)}`);
  }
  await page.screenshot({ path: sc.shot }).then(() => console.log(`  screenshot: ${sc.shot}`),
                                                e => console.log(`  screenshot failed: ${e.message}`));
  if (c.failed) printProblems(problems);
  // Shut the kernel down from the UI side so the next scenario starts clean.
  await page.evaluate(() => window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown?.()).catch(() => {});
  await page.close();
}

async function launcherScenario(ctx, sc) {
  const c = new Checks(sc.name, LAUNCHER_CHECKS(sc));
  const page = await ctx.newPage();
  const problems = watch(page);
  try {
    await openLab(page, '');
    // File > New Launcher, through the menu bar.
    await page.click('.lm-MenuBar-itemLabel:text-is("File")');
    await page.click('.lm-Menu-itemLabel:text-is("New Launcher")');
    const launcher = page.locator('.jp-Launcher:visible');
    await launcher.waitFor({ timeout: 30000 });
    c.pass('launcher opens', secs());
    const card = launcher.locator(`.jp-LauncherCard[data-category="Notebook"][title="${sc.kernel}"]`);
    await card.first().waitFor({ timeout: 15000 }).catch(() => {});
    const titles = await launcher.locator('.jp-LauncherCard[data-category="Notebook"]').evaluateAll(
      els => els.map(e => e.getAttribute('title')));
    if (!c.check(`'${sc.kernel}' card in the Notebook section`, (await card.count()) === 1, null,
                 `Notebook cards: ${JSON.stringify(titles)}`)) {
      throw new Error('no card');
    }
    // The logo: an <img> whose src is the kernelspec's resource URL, decoded, served with 200.
    const img = card.locator('img.jp-Launcher-kernelIcon');
    await img.waitFor({ timeout: 10000 }).catch(() => {});
    const info = (await img.count()) ? await img.evaluate(async el => {
      await el.decode().catch(() => {});
      const r = await fetch(el.src, { credentials: 'same-origin' });
      return { src: el.getAttribute('src'), w: el.naturalWidth, h: el.naturalHeight, status: r.status,
               type: r.headers.get('content-type') };
    }) : null;
    const re = new RegExp(`/kernelspecs/${sc.spec}/logo-(64x64\\.png|svg\\.svg)$`);
    c.check(`'${sc.kernel}' card shows the kernelspec logo`,
            !!info && re.test(info.src.split('?')[0]) && info.status === 200 && info.w > 0 && info.h > 0,
            info && `${info.src} -> ${info.status} ${info.type}, ${info.w}x${info.h}`,
            info ? `logo ${JSON.stringify(info)}` : 'the card has no logo image (letter placeholder instead)');
  } catch (e) {
    c.abandon(firstLine(e.message));
  }
  await page.screenshot({ path: sc.shot }).then(() => console.log(`  screenshot: ${sc.shot}`),
                                                e => console.log(`  screenshot failed: ${e.message}`));
  if (c.failed) printProblems(problems);
  await page.close();
}

function firstLine(s) { return String(s).split('\n')[0].slice(0, 120); }
function clip(s) { s = String(s).replace(/\s+/g, ' '); return s.length > 300 ? s.slice(0, 300) + '…' : s; }
function printCells(cells) {
  cells.forEach((x, i) => console.log(`  cell ${i + 1} ${x.prompt} \`${firstLine(x.source)}\` -> ` +
    `${JSON.stringify(x.mimes)} ${clip(x.output)}`));
}
function printProblems(problems) {
  if (problems.length) console.log('  seen in the browser:\n    ' + problems.slice(0, 30).join('\n    '));
}

(async () => {
  if (process.argv[3] === '--list') {
    for (const sc of spec.scenarios) for (const n of checksOf(sc)) console.log(`${sc.name}: ${n}`);
    return;
  }
  const { chromium } = require('playwright-core');
  // Chromium's profile goes under TMPDIR (the suite points it at its own temporary folder).
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-'));
  let ctx;
  try {
    ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: spec.chromium || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync']
    });
  } catch (e) {
    // Every check of every scenario fails, each with the reason.
    for (const sc of spec.scenarios) {
      new Checks(sc.name, checksOf(sc)).abandon(`Chromium did not start: ${firstLine(e.message)}`);
    }
    process.exit(1);
  }
  for (const sc of spec.scenarios) {
    if (sc.type === 'notebook') await notebookScenario(ctx, sc);
    else await launcherScenario(ctx, sc);
  }
  await ctx.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  process.exit(failures ? 1 : 0);
})().catch(e => { console.log('FAIL e2e driver: ' + e.message); process.exit(1); });
