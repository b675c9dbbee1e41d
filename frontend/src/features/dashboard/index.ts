export { CharacteristicTree, useTreeData } from './CharacteristicTree';
export { DueList } from './DueList';
export { rollUp, characteristicStatus, nodePaths, type Status } from './status';
