/**
 * Class names and prompt templates of the built-in real data sets, for
 * readers whose files carry no names (IDX) and for zero-shot prompts.
 * Templates use `{}` where the class name goes, as CLIP's `prompts.json`.
 *
 * @since 0.1.0
 */

/**
 * MNIST's classes, as CLIP's prompts.json names them.
 *
 * @since 0.1.0
 * @category utils
 */
export const mnistClasses: ReadonlyArray<string> = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

/**
 * MNIST's prompt template, from CLIP's prompts.json.
 *
 * @since 0.1.0
 * @category utils
 */
export const mnistTemplates: ReadonlyArray<string> = ['a photo of the number: "{}".']

/**
 * Fashion-MNIST's classes, label order of the data set's README, spelled as
 * words a caption would use (the README's "T-shirt/top" reads as one token
 * soup to a BPE tokenizer; the official names are `fashionMnistOfficialNames`).
 *
 * @since 0.1.0
 * @category utils
 */
export const fashionMnistClasses: ReadonlyArray<string> = [
  "t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"
]

/**
 * Fashion-MNIST's class names exactly as its README gives them.
 *
 * @since 0.1.0
 * @category utils
 */
export const fashionMnistOfficialNames: ReadonlyArray<string> = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
]

/**
 * Prompt templates for Fashion-MNIST (grayscale product photos).
 *
 * @since 0.1.0
 * @category utils
 */
export const fashionMnistTemplates: ReadonlyArray<string> = [
  "a photo of a {}.",
  "a black and white photo of a {}.",
  "a low resolution photo of a {}.",
  "a photo of the {}, a type of clothing."
]

/**
 * CIFAR-10's classes in label order (as in `batches.meta.txt`).
 *
 * @since 0.1.0
 * @category utils
 */
export const cifar10Classes: ReadonlyArray<string> = [
  "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"
]

/**
 * A few of CLIP's CIFAR templates.
 *
 * @since 0.1.0
 * @category utils
 */
export const cifarTemplates: ReadonlyArray<string> = [
  "a photo of a {}.",
  "a blurry photo of a {}.",
  "a low resolution photo of a {}.",
  "a photo of the small {}."
]

/**
 * Where Debian's `dataset-fashion-mnist` package installs the files.
 *
 * @since 0.1.0
 * @category utils
 */
export const debianFashionMnistDir = "/usr/share/datasets/fashion-mnist"
