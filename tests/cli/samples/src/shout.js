function main(params) {
  console.log("shouting " + params.text);
  return { text: String(params.text || "").toUpperCase() + "!" };
}
