// Bundle the core JupyterLab 4 frontend into ./build (served by jupyterlab_server's LabServerApp).
const path = require('path');
const { merge } = require('webpack-merge');
const baseConfig = require('@jupyterlab/builder/lib/webpack.config.base');
const { Build } = require('@jupyterlab/builder');
const pkg = require('./package.json');

const names = [
  ...new Set([...pkg.jupyterlab.extensions, ...Object.keys(pkg.jupyterlab.mimeExtensions)])
];
// Copies each package's schemas/ and themes/ into build/ and writes build/style.js.
const assets = Build.ensureAssets({ packageNames: names, output: path.resolve(__dirname, 'build') });

module.exports = [
  merge(baseConfig, {
    mode: 'development',
    devtool: false,
    entry: './index.js',
    output: {
      path: path.resolve(__dirname, 'build'),
      filename: 'bundle.js',
      chunkFilename: '[name].[contenthash].js'
    },
    performance: { hints: false }
  })
].concat(assets);
