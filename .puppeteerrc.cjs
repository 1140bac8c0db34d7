// puppeteer drives Debian's chromium (found on PATH or through PUPPETEER_EXECUTABLE_PATH): never download a browser.
module.exports = { skipDownload: true };
